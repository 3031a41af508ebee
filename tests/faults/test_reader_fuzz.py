"""Hostile trace files: the reader returns a timeline or a one-line TraceReadError, never
anything else (hypothesis, bounded in time)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from concurtrace.exporters import chrome_json, perfetto
from concurtrace.exporters.readback import TraceReadError, read_trace
from concurtrace.model.build import build_timeline
from concurtrace.model.lifecycle import add_lifecycle
from concurtrace.model.sources import Observed

RECORDS: list[dict[str, object]] = [
    {"ev": "hello", "ts": 100, "pid": 10, "ppid": 1, "origin": "exec",
     "argv": ["/usr/bin/python3", "x.py"], "python": "3.11.7", "gil": "enabled", "traced": True},
    {"ev": "process_start", "ts": 210, "start_ts": 200, "pid": 10, "tid": 10, "child": 11,
     "name": "Process-1", "daemon": True, "method": "fork"},
    {"ev": "reaped", "ts": 600, "start_ts": 520, "pid": 10, "tid": 10, "child": 11, "status": 9},
]


def _good_traces() -> tuple[bytes, bytes]:
    timeline = build_timeline(RECORDS, {10: [[{"ph": "X", "pid": 10, "tid": 10, "ts": 0.2,
                                               "dur": 0.1, "name": "f (x.py:1)"}]]},
                              Observed(reaped={10: (700, 0)}), 10, 0, 800)
    add_lifecycle(timeline, RECORDS)
    binary, text = io.BytesIO(), io.StringIO()
    perfetto.write(timeline, binary)
    chrome_json.write(timeline, text)
    return binary.getvalue(), text.getvalue().encode()


PFTRACE, JSON_TRACE = _good_traces()
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                HealthCheck.function_scoped_fixture])


def _read(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "t.trace"
    path.write_bytes(data)
    try:
        read_trace(path)
    except TraceReadError as error:
        assert "\n" not in str(error)


def test_good_traces_read_back(tmp_path: Path) -> None:
    for data in (PFTRACE, JSON_TRACE):
        path = tmp_path / "ok.trace"
        path.write_bytes(data)
        timeline = read_trace(path)
        assert timeline.processes[11].signal == "SIGKILL"


@pytest.mark.parametrize("data", [b"", b"\x0a", b"\x0a\xff", b"{", b"[1, 2", b"\x00" * 100,
                                  b'{"traceEvents": 5}', b"null", PFTRACE[:-7], JSON_TRACE[:50],
                                  b'{"traceEvents":[{"pid":1,"tid":1,"ts":1,"dur":"x"}]}',
                                  b'{"traceEvents":[{"pid":1,"tid":1,"ts":1e400}]}',
                                  b'[{"pid":1,"tid":true,"ts":null,"ph":"M","args":[]}]'])
def test_known_bad_inputs(tmp_path: Path, data: bytes) -> None:
    _read(tmp_path, data)


@FUZZ
@given(st.data())
def test_mutated_traces_never_crash_the_reader(tmp_path: Path, data: st.DataObject) -> None:
    base = bytearray(data.draw(st.sampled_from([PFTRACE, JSON_TRACE])))
    for _ in range(data.draw(st.integers(1, 8))):
        index = data.draw(st.integers(0, len(base) - 1))
        base[index] = data.draw(st.integers(0, 255))
    cut = data.draw(st.integers(1, len(base)))
    _read(tmp_path, bytes(base[:cut]))


ANY = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=6) \
    | st.lists(st.integers(), max_size=2) | st.dictionaries(st.text(max_size=4), st.integers())
EVENT = st.fixed_dictionaries({}, optional={key: ANY for key in (
    "pid", "tid", "ts", "dur", "ph", "name", "args", "s", "bind_id")})


@FUZZ
@given(st.lists(EVENT, max_size=6))
def test_event_shaped_garbage(tmp_path: Path, events: list[dict[str, object]]) -> None:
    _read(tmp_path, json.dumps({"traceEvents": events}).encode())
    _read(tmp_path, json.dumps(events).encode())


@FUZZ
@given(st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=8),
                    lambda kids: st.lists(kids, max_size=4)
                    | st.dictionaries(st.text(max_size=8), kids, max_size=4), max_leaves=20))
def test_arbitrary_json_is_read_or_refused(tmp_path: Path, value: object) -> None:
    _read(tmp_path, json.dumps({"traceEvents": [value, {"ph": "i", "args": value}]}).encode())
    _read(tmp_path, json.dumps(value).encode())
