"""Lifecycle truth (issue 3): crashes, kills, abandonment and causality, through the summary
and through Perfetto's own engine."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import engine
import pytest
from traced import SCENARIOS, Traced, trace_run

EVENTS_SQL = ("select s.name, s.dur, extract_arg(s.arg_set_id, 'debug.event') as event, "
              "extract_arg(s.arg_set_id, 'debug.signal') as signal, "
              "extract_arg(s.arg_set_id, 'debug.exit_code') as exit_code, "
              "extract_arg(s.arg_set_id, 'debug.stack') as stack "
              "from slice s where extract_arg(s.arg_set_id, 'debug.event') is not null")
FLOWS_SQL = ("select so.name as source, si.name as target from flow f "
             "join slice so on so.id = f.slice_out join slice si on si.id = f.slice_in")


def run_scenario(tmp: pytest.TempPathFactory, name: str) -> Traced:
    out = tmp.mktemp(name) / f"{name}.pftrace"
    return trace_run(out, str(SCENARIOS / f"{name}.py"))


@pytest.fixture(scope="module")
def crash(tmp_path_factory: pytest.TempPathFactory) -> Traced:
    return run_scenario(tmp_path_factory, "crash_child")


@pytest.fixture(scope="module")
def abandon(tmp_path_factory: pytest.TempPathFactory) -> Traced:
    return run_scenario(tmp_path_factory, "daemon_thread_abandon")


@pytest.fixture(scope="module")
def processes(tmp_path_factory: pytest.TempPathFactory) -> Traced:
    return run_scenario(tmp_path_factory, "processes")


def by_name(summary: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {p["name"]: p for p in summary["processes"]}


def test_every_crash_has_its_true_status(crash: Traced) -> None:
    assert crash.returncode == 0, crash.stderr
    procs = by_name(crash.summary())
    root = procs["MainProcess"]["pid"]
    assert procs["raiser"]["exit_code"] == 1 and procs["raiser"]["exc_type"] == "RuntimeError"
    assert procs["exiter"]["exit_code"] == 3 and procs["exiter"]["end_reason"] == "os._exit"
    victim = procs["victim"]
    assert victim["exit_code"] == -9 and victim["signal"] == "SIGKILL"
    assert victim["terminated_by"] == {"pid": root, "reason": "kill"}
    segv = procs["segfaulter"]
    assert segv["exit_code"] == -11 and segv["signal"] == "SIGSEGV"
    assert segv["terminated_by"] is None, "a crash is not a termination by someone"
    kinds = [f["kind"] for f in crash.summary()["findings"]]
    assert kinds.count("nonzero_exit") == 4
    assert "child_not_joined" not in kinds, "crash_child joins every child"


@engine.requires_node
def test_crash_statuses_and_kill_arrow_in_perfetto(crash: Traced) -> None:
    assert engine.stats_errors(crash.trace) == []
    events = engine.query(crash.trace, EVENTS_SQL)
    ended = {e["name"].split(" ")[0]: e for e in events
             if e["event"] in ("process_exit", "process_terminated")}
    assert ended["victim"]["event"] == "process_terminated"
    assert ended["victim"]["signal"] == "SIGKILL"
    assert ended["segfaulter"]["signal"] == "SIGSEGV"
    assert ended["exiter"]["exit_code"] == 3 and ended["raiser"]["exit_code"] == 1
    flows = engine.query(crash.trace, FLOWS_SQL)
    # 3.10 names methods without their class (no co_qualname).
    assert any(f["source"].startswith(("BaseProcess.kill (", "kill (", "posix.kill"))
               and f["target"].startswith("victim") for f in flows), flows


def test_abandoned_threads_are_marked_with_their_stack(abandon: Traced) -> None:
    assert abandon.returncode == 0, abandon.stderr
    threads = {t["name"]: t for t in abandon.summary()["threads"]}
    for name in ("heartbeat", "cruncher"):
        assert threads[name]["abandoned"] is True and threads[name]["daemon"] is True
        assert any("daemon_thread_abandon.py" in f["file"] for f in threads[name]["stack"])
    kinds = [f["kind"] for f in abandon.summary()["findings"]]
    assert kinds.count("daemon_thread_abandoned") == 2


@engine.requires_node
def test_abandonment_instants_and_unfinished_slices(abandon: Traced) -> None:
    events = [e for e in engine.query(abandon.trace, EVENTS_SQL)
              if e["event"] == "thread_abandoned"]
    assert len(events) == 2
    heartbeat = next(e for e in events if "'heartbeat'" in e["name"])
    assert "inside time.sleep" in heartbeat["name"]
    assert "daemon_thread_abandon.py:" in heartbeat["name"]
    assert "heartbeat (" in heartbeat["stack"]
    unfinished = engine.query(abandon.trace,
                              "select t.name as thread, s.name from slice s join thread_track tt "
                              "on s.track_id = tt.id join thread t using(utid) "
                              "where extract_arg(s.arg_set_id, 'debug.unfinished') = 1 "
                              "and s.dur > 0")
    threads = {u["thread"] for u in unfinished}
    assert {"heartbeat", "cruncher"} <= threads


@engine.requires_node
def test_processes_story_is_drawn(processes: Traced) -> None:
    flows = engine.query(processes.trace, FLOWS_SQL)
    terminated = "Process-1 terminated by SIGTERM: daemon cleanup at MainProcess exit"
    assert any(f["target"] == terminated for f in flows), flows
    assert any(f["source"].startswith(("BaseProcess.start (", "start (")) for f in flows)
    # The observer is join(), or the waitpid() of multiprocessing's cleanup when that came first.
    assert any(f["source"] == terminated and f["target"].startswith(("join:", "reaped:"))
               for f in flows), flows
    order = engine.query(processes.trace, "select name from process where pid > 0 order by upid")
    assert order[0]["name"] == "MainProcess"


def test_processes_summary_says_it_in_one_sentence(processes: Traced, tmp_path: Path) -> None:
    from traced import concurtrace

    done = concurtrace("summary", str(processes.trace))
    text = " ".join(done.stdout.split())
    assert "Process-1 (daemon) was terminated by SIGTERM" in text
    assert "at MainProcess's exit" in text
    findings = {(f["kind"], f["pid"]) for f in processes.summary()["findings"]}
    process_2 = processes.process("Process-2")["pid"]
    assert ("child_not_joined", process_2) in findings, "joined only by multiprocessing at exit"
