"""tests/perfetto/engine.py: ptq from the repository, via Python."""

from __future__ import annotations

from pathlib import Path

import engine
import pytest

pytestmark = engine.requires_node


def test_query_returns_rows_as_dicts(small_pftrace: Path) -> None:
    rows = engine.query(
        small_pftrace,
        "select p.pid, p.name, pp.pid as parent_pid from process p "
        "left join process pp on pp.upid = p.parent_upid where p.pid = 4242",
    )
    assert rows == [{"pid": 4242, "name": "demo-parent", "parent_pid": 1}]
    threads = engine.query(small_pftrace, "select tid, name from thread where tid = 4243")
    assert threads == [{"tid": 4243, "name": "demo-worker"}]


def test_query_json_trace(small_json_trace: Path) -> None:
    rows = engine.query(small_json_trace, "select name, dur from slice")
    assert rows == [{"name": "json_work", "dur": 50_000}]


def test_clean_trace_has_no_stats_errors(small_pftrace: Path) -> None:
    assert engine.stats_errors(small_pftrace) == []


def test_stats_errors_reports_import_problems(tmp_path: Path) -> None:
    # Two complete events on one thread that overlap without nesting: the second is dropped.
    bad = tmp_path / "bad.json"
    bad.write_text(
        '{"traceEvents": [{"ph": "X", "pid": 1, "tid": 1, "ts": 0, "dur": 100, "name": "a"},'
        ' {"ph": "X", "pid": 1, "tid": 1, "ts": 50, "dur": 100, "name": "b"}]}'
    )
    errors = engine.stats_errors(bad)
    assert [(e["name"], e["severity"], e["value"]) for e in errors] == [
        ("slice_drop_overlapping_complete_event", "error", 1)
    ]


def test_sql_error_is_clear(small_pftrace: Path) -> None:
    with pytest.raises(engine.PtqError, match="no_such_table") as info:
        engine.query(small_pftrace, "select * from no_such_table")
    assert info.value.returncode == 2


def test_rejected_trace_is_clear(tmp_path: Path) -> None:
    truncated = tmp_path / "truncated.json"
    truncated.write_text('{"traceEvents": [{"ph": "X", "pid": 1, "tid": 1, "ts": 1, "dur"')
    with pytest.raises(engine.PtqError) as info:
        engine.query(truncated, "select count(*) as n from slice")
    assert info.value.returncode in (1, 3) and "ptq" in str(info.value)


@engine.requires_browser
def test_screenshot_writes_png(small_pftrace: Path, tmp_path: Path) -> None:
    png = engine.screenshot(
        small_pftrace, tmp_path / "s.png", width=800, height=500, wait=0.5, select_slice="demo_work"
    )
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
