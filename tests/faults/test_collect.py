"""A child that died mid-write: its function trace is dropped with a warning, its records
are kept; a torn last record line is skipped."""

from __future__ import annotations

from pathlib import Path

from concurtrace.model.records import read_session
from concurtrace.runner.collect import read_traces


def test_truncated_trace_dropped_with_warning(tmp_path: Path) -> None:
    (tmp_path / "trace-11-1.json").write_text('{"traceEvents": [{"ph": "X", "pid": 11, "ti')
    (tmp_path / "trace-12-1.json").write_text(
        '{"traceEvents": [{"ph": "X", "pid": 12, "tid": 12, "ts": 1.0, "dur": 2.0, '
        '"name": "f"}], "viztracer_metadata": {"overflow": true}}')
    warnings: list[str] = []
    traces = read_traces(tmp_path, warnings)
    assert set(traces) == {12}
    assert any("pid 11" in w and "unreadable" in w for w in warnings)
    assert any("pid 12" in w and "ring buffer" in w for w in warnings)


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
