"""Fork children have only the threads that exist in them (issue 14, item 5).

A child forked while other threads run has one thread, the one that forked; VizTracer
keeps the parent's other threads in its state, and they must not appear as the child's.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import engine
import pytest
from traced import SCRIPTS, Traced, trace_run

LABELS = {"fork", "fork-of-fork", "mp-fork"}


@pytest.fixture(scope="module")
def forked(tmp_path_factory: pytest.TempPathFactory) -> Traced:
    out = tmp_path_factory.mktemp("fork_threads") / "fork_threads.pftrace"
    return trace_run(out, str(SCRIPTS / "fork_with_threads.py"))


def reports(run: Traced) -> dict[str, dict[str, Any]]:
    """What each child printed about itself: its pid and {tid: thread name}."""
    lines = [json.loads(line) for line in run.stdout.splitlines() if line.startswith("{")]
    by_label = {line["label"]: line for line in lines}
    assert set(by_label) == LABELS, run.stdout + run.stderr
    return by_label


def test_summary_lists_exactly_the_threads_each_child_has(forked: Traced) -> None:
    assert forked.returncode == 0, forked.stderr
    threads = forked.summary()["threads"]
    for label, report in reports(forked).items():
        real = {int(tid): name for tid, name in report["threads"].items()}
        listed = {t["tid"]: t["name"] for t in threads if t["pid"] == report["pid"]}
        assert listed == real, f"{label}: summary {listed}, the child itself {real}"


def test_forking_thread_keeps_its_name_as_the_child_main_thread(forked: Traced) -> None:
    by_label = reports(forked)
    for label in ("fork", "fork-of-fork"):
        pid = by_label[label]["pid"]
        assert by_label[label]["threads"][str(pid)] == "forker-0"
        main = [t for t in forked.summary()["threads"] if t["tid"] == pid]
        assert [t["name"] for t in main] == ["forker-0"]


@engine.requires_node
def test_perfetto_child_threads_are_real_and_begin_after_the_fork(forked: Traced) -> None:
    started = {p["pid"]: p["started_ns"] for p in forked.summary()["processes"]}
    rows = engine.query(forked.trace,
                        "select p.pid, t.tid, t.name, (select min(s.ts) from thread_track tt "
                        "join slice s on s.track_id = tt.id where tt.utid = t.utid) as first_ts "
                        "from thread t join process p using(upid) where p.pid > 0")
    for label, report in reports(forked).items():
        pid = report["pid"]
        mine = [r for r in rows if r["pid"] == pid]
        assert {r["tid"]: r["name"] for r in mine} == \
            {int(tid): name for tid, name in report["threads"].items()}, label
        for row in mine:
            assert row["first_ts"] is not None and row["first_ts"] >= started[pid], (label, row)


def test_light_mode_lists_the_same_threads(tmp_path: Path) -> None:
    run = trace_run(tmp_path / "light.pftrace", str(SCRIPTS / "fork_with_threads.py"),
                    options=("--quiet", "--light"))
    assert run.returncode == 0, run.stderr
    threads = run.summary()["threads"]
    for label, report in reports(run).items():
        listed = {t["tid"]: t["name"] for t in threads if t["pid"] == report["pid"]}
        assert listed == {int(t): n for t, n in report["threads"].items()}, label


@engine.requires_node
def test_gallery_scenario_by_name_traces_its_own_functions(tmp_path: Path) -> None:
    """`--scenario` runs the copy inside the package: its functions are the program's and
    must be traced (only concurtrace's runner and model are left out of the trace)."""
    run = trace_run(tmp_path / "g.pftrace", "--scenario", "fork_while_threads_run")
    assert run.returncode == 0, run.stderr
    assert "held by a thread that does not exist here" in run.stdout
    rows = engine.query(run.trace,
                        "select p.name as process, t.name as thread, s.name from slice s "
                        "join thread_track tt on s.track_id = tt.id join thread t using(utid) "
                        "join process p using(upid) where s.name like 'child (%' "
                        "or s.name like 'hold (%'")
    found = {(r["process"], r["thread"], str(r["name"]).split(" ")[0]) for r in rows}
    assert found == {("MainProcess (fork)", "forker-0", "child"),
                     ("MainProcess", "holder", "hold")}, rows
