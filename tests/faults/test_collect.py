"""A child that died mid-write: its complete calls are kept with a warning, its records
are kept; a torn last record line is skipped."""

from __future__ import annotations

from pathlib import Path

import pytest

from concurtrace.model.records import read_session
from concurtrace.runner import collect
from concurtrace.runner.collect import find_traces


def _event(pid: int, ts: float, name: str = "f") -> str:
    return (f'{{"pid":{pid},"tid":{pid},"ts":{ts},"ph":"X","cat":"fee","dur":2.000,'
            f'"name":"{name}"}}')


def test_cut_short_trace_keeps_complete_events_with_warning(tmp_path: Path) -> None:
    # VizTracer's own layout, cut mid-event: the complete events before the cut are kept.
    events = ",".join(_event(11, 1.0 + i) for i in range(3))
    (tmp_path / "trace-11-1.json").write_text('{"traceEvents":[' + events + ',{"pid":11,"ti')
    # Another layout, cut short: nothing to keep, but a warning and no crash.
    (tmp_path / "trace-13-1.json").write_text('{"traceEvents": [{"ph": "X", "pid": 13, "ti')
    (tmp_path / "trace-12-1.json").write_text(
        '{"traceEvents":[' + _event(12, 1.0) + '], "viztracer_metadata": {"overflow":true}}')
    warnings: list[str] = []
    traces = find_traces(tmp_path, warnings)
    read = {pid: [e for chunk in files for e in chunk] for pid, files in traces.items()}
    assert [e.ts for e in read[11]] == [1.0, 2.0, 3.0]
    assert read[13] == [] and len(read[12]) == 1
    assert any("pid 11" in w and "cut short" in w for w in warnings)
    assert any("pid 13" in w and "cut short" in w for w in warnings)
    assert any("pid 12" in w and "ring buffer" in w for w in warnings)


@pytest.mark.parametrize("chunk_bytes", [97, 4 << 20])
def test_big_dump_is_read_in_chunks_across_awkward_boundaries(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chunk_bytes: int) -> None:
    # Names holding the chunk boundary text and nested args must not split an event; tiny
    # chunks make many cuts land inside them.
    monkeypatch.setattr(collect, "CHUNK_BYTES", chunk_bytes)
    monkeypatch.setattr(collect, "NUMPY_MIN_BYTES", 1 << 40)  # decoded (test_vizscan: scanned)
    odd = [_event(21, float(i), "a},{b" if i % 7 == 0 else f"g{i}") for i in range(60000)]
    odd.insert(5, '{"ph":"M","pid":21,"tid":21,"name":"thread_name","args":{"name":"T"}}')
    (tmp_path / "trace-21-1.json").write_text(
        '{"traceEvents":[' + ",".join(odd) + '], "viztracer_metadata": {}}')
    traces = find_traces(tmp_path, [])
    chunks = list(traces[21])
    assert len(chunks) > 1, "a 9 MB dump comes in several chunks"
    events = [e for chunk in chunks for e in chunk]
    assert len(events) == 60001
    assert sum(e.name == "a},{b" for e in events) == len(range(0, 60000, 7))


def test_torn_record_line_is_skipped(tmp_path: Path) -> None:
    (tmp_path / "life-11-1.jsonl").write_text(
        '{"ev":"hello","ts":1,"pid":11}\n{"ev":"thread_start","ts":2,"pid":11}\n{"ev":"thr')
    records = read_session(tmp_path)
    assert [r["ev"] for r in records] == ["hello", "thread_start"]


def test_huge_non_trace_is_refused_quickly(tmp_path: Path) -> None:
    from concurtrace.exporters.readback import TraceReadError, read_trace

    huge = tmp_path / "huge.bin"
    with open(huge, "wb") as stream:
        stream.seek(300 * 1024 * 1024)
        stream.write(b"\x00")
    try:
        read_trace(huge)
    except TraceReadError as error:
        assert "not a Perfetto" in str(error)
    else:
        raise AssertionError("a sparse zero file is not a trace")


def test_events_off_viztracer_types_are_checked_one_by_one(tmp_path: Path) -> None:
    # The typed (msgspec) decode refuses these; their chunk is read leniently, as json would.
    odd = ['{"ph":"X","tid":31,"ts":"5","dur":1,"name":"string ts"}',
           '{"ph":"X","tid":31,"ts":NaN,"dur":1,"name":"nan"}',
           '{"ph":"X","tid":true,"ts":6.0,"dur":1.0,"name":"bool tid"}',
           '{"ph":"X","tid":31,"ts":7,"name":null}', '[1]',
           '{"ph":"M","tid":31,"name":"thread_name","args":["not", "a dict"]}']
    (tmp_path / "trace-31-1.json").write_text(
        '{"traceEvents":[' + _event(31, 1.0) + "," + ",".join(odd) + "]}")
    events = [e for chunk in find_traces(tmp_path, [])[31] for e in chunk]
    assert [(e.ph, e.ts, e.name) for e in events] == [
        ("X", 1.0, "f"), ("X", 5.0, "string ts"), ("X", 7.0, "None"), ("M", None, "thread_name")]
