"""concurtrace run end to end: real scenarios, traces read back by Perfetto's own engine."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import engine
import pytest
from traced import SCENARIOS, SCRIPTS, Traced, trace_run

pytestmark = engine.requires_node


@pytest.fixture(scope="module")
def threads_run(tmp_path_factory: pytest.TempPathFactory) -> Traced:
    out = tmp_path_factory.mktemp("threads") / "threads.pftrace"
    return trace_run(out, str(SCENARIOS / "threads.py"))


@pytest.fixture(scope="module")
def processes_run(tmp_path_factory: pytest.TempPathFactory) -> Traced:
    out = tmp_path_factory.mktemp("processes") / "processes.pftrace"
    return trace_run(out, str(SCENARIOS / "processes.py"))


@pytest.fixture(scope="module")
def methods_run(tmp_path_factory: pytest.TempPathFactory) -> Traced:
    out = tmp_path_factory.mktemp("methods") / "methods.pftrace"
    return trace_run(out, str(SCRIPTS / "start_methods.py"))


def processes(trace: Path) -> dict[str, dict[str, Any]]:
    rows = engine.query(trace, "select p.pid, p.name, p.cmdline, pp.pid as parent_pid "
                               "from process p left join process pp on pp.upid = p.parent_upid "
                               "where p.pid > 0")
    return {str(r["name"]): r for r in rows}


def test_threads_output_unchanged_and_trace_clean(threads_run: Traced) -> None:
    assert threads_run.returncode == 0, threads_run.stderr
    assert threads_run.stdout.count("Dancing...") == 5
    assert threads_run.stdout.count("Singing...") == 3
    assert engine.stats_errors(threads_run.trace) == []


def test_threads_have_real_tids_names_and_true_durations(threads_run: Traced) -> None:
    rows = engine.query(threads_run.trace,
                        "select t.tid, t.name as thread, p.pid, s.name, s.dur from slice s "
                        "join thread_track tt on s.track_id = tt.id join thread t using(utid) "
                        "join process p using(upid) where s.name like 'sing (%' "
                        "or s.name like 'dance (%'")
    by_thread = {r["thread"]: r for r in rows}
    assert set(by_thread) == {"vocal", "choreography"}
    for row in rows:
        assert row["tid"] != row["pid"], "a worker thread must not carry the main tid"
    # VizTracer alone shows ~0.15 ms for both: tracing must last until the real end.
    assert 0.9e9 <= by_thread["choreography"]["dur"] <= 1.8e9
    assert 0.55e9 <= by_thread["vocal"]["dur"] <= 1.2e9
    tids = {r["tid"] for r in rows}
    summary_tids = {t["tid"] for t in threads_run.summary()["threads"]}
    assert tids <= summary_tids


def test_processes_tree_names_and_parents(processes_run: Traced) -> None:
    assert processes_run.returncode == 0, processes_run.stderr
    assert engine.stats_errors(processes_run.trace) == []
    rows = engine.query(processes_run.trace,
                        "select p.pid, p.name, p.cmdline, pp.pid as parent_pid from process p "
                        "left join process pp on pp.upid = p.parent_upid where p.pid > 0")
    by_pid = {r["pid"]: r for r in rows}
    named = {p["name"]: p for p in processes_run.summary()["processes"]}
    root = named["MainProcess"]["pid"]
    for child in ("Process-1", "Process-2"):
        row = by_pid[named[child]["pid"]]
        assert row["parent_pid"] == root, row
        assert "processes.py" in str(row["cmdline"])
    # Perfetto's display name: seen wrong in rare runs under heavy load (under investigation).
    labels = sorted(str(r["name"]) for r in rows)
    assert "MainProcess" in labels and "Process-2" in labels, labels
    assert f"main: pid {root}" in processes_run.stdout


def test_daemon_child_ends_by_sigterm_not_zero(processes_run: Traced) -> None:
    daemon = processes_run.process("Process-1")
    assert daemon["exit_code"] == -15 and daemon["signal"] == "SIGTERM"
    assert daemon["daemon"] is True
    assert daemon["terminated_by"]["reason"] == "daemon_cleanup"
    assert processes_run.process("Process-2")["exit_code"] == 0
    marks = engine.query(processes_run.trace,
                         "select s.name, extract_arg(s.arg_set_id, 'debug.signal') as sig "
                         "from slice s where extract_arg(s.arg_set_id, 'debug.event') "
                         "= 'process_terminated'")
    assert [m["sig"] for m in marks] == ["SIGTERM"]
    assert processes_run.stdout.count("dancing...") == 2


def test_every_start_method_is_traced_and_parented(methods_run: Traced) -> None:
    assert methods_run.returncode == 0, methods_run.stderr
    assert engine.stats_errors(methods_run.trace) == []
    summary = methods_run.summary()
    by_name = {p["name"]: p for p in summary["processes"]}
    root = by_name["MainProcess"]["pid"]
    for name, method in (("fork-child", "fork"), ("spawn-child", "spawn"),
                         ("forkserver-child", "forkserver")):
        child = by_name[name]
        assert child["ppid"] == root, f"{name}: logical parent must be the caller of start()"
        assert child["start_method"] == method and child["traced"] and child["exit_code"] == 0
    assert by_name["forkserver-child"]["os_ppid"] == by_name["forkserver (multiprocessing)"]["pid"]
    workers = [p for p in summary["processes"] if p["name"].startswith("SpawnProcess")]
    assert len(workers) >= 1 and all(w["ppid"] == root and w["traced"] for w in workers)
    assert by_name["python -c"]["ppid"] == root and by_name["python -c"]["traced"]
    forked = by_name["MainProcess (fork)"]
    assert forked["ppid"] == root and forked["exit_code"] == 0
    threads = engine.query(methods_run.trace,
                           f"select t.tid from thread t join process p using(upid) "
                           f"where p.pid = {forked['pid']}")
    assert {t["tid"] for t in threads} == {forked["pid"]}, "forked child keeps the parent's tid"
    procs = processes(methods_run.trace)
    assert procs["spawn-child"]["parent_pid"] == root
    assert procs["forkserver-child"]["parent_pid"] == root
