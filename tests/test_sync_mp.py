"""Issue 16, multiprocessing side: waits on multiprocessing locks, semaphores, conditions,
events and queues and on Manager proxies, credited across processes, in fork, spawn and
forkserver children; deadlocks across processes; programs behave as without us."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import engine
import pytest
from test_tracebacks import OWN_ENTRY, compare
from traced import SCRIPTS, trace_run

from concurtrace.scenarios import SCENARIO_DIR

METHODS = ("fork", "spawn", "forkserver")
CROSS_FLOWS = ("select so.name as src, si.name as dst, th1.upid as src_upid, "
               "th2.upid as dst_upid from flow f join slice so on f.slice_out = so.id "
               "join slice si on f.slice_in = si.id "
               "join thread_track t1 on so.track_id = t1.id join thread th1 on t1.utid = th1.utid "
               "join thread_track t2 on si.track_id = t2.id join thread th2 on t2.utid = th2.utid "
               "where si.name like 'resumed: %'")
WAITS = ("select s.name, extract_arg(s.arg_set_id, 'debug.holder') as holder, "
         "extract_arg(s.arg_set_id, 'debug.releaser') as releaser, "
         "extract_arg(s.arg_set_id, 'debug.server') as server, "
         "extract_arg(s.arg_set_id, 'debug.outcome') as outcome "
         "from slice s join track t on s.track_id = t.id "
         "where t.name like '% sync%' and s.name like 'waiting for %'")


def _line(path: Path, text: str) -> int:
    return next(n for n, line in enumerate(path.read_text().splitlines(), 1) if text in line)


def _kinds(summary: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [f for f in summary["findings"] if f["kind"] == kind]


@pytest.mark.parametrize("method", METHODS)
def test_mp_programs_behave_the_same(method: str, tmp_path: Path) -> None:
    """Results, errors and their messages, timeouts, reentrancy, the pickling rule,
    isinstance, a child's waits on its parent's objects: all as without us."""
    script = SCRIPTS / "sync_mp_semantics.py"
    plain = subprocess.run([sys.executable, str(script), method], capture_output=True,
                           text=True, timeout=60, cwd=tmp_path)
    run = trace_run(tmp_path / "t.pftrace", str(script), method, cwd=tmp_path)
    assert run.returncode == plain.returncode == 0, run.stderr
    assert run.stdout == plain.stdout
    assert "should only be shared between processes through inheritance" in run.stdout
    summary = run.summary()
    made = _line(script, "lock, rlock, sem = ctx.Lock()")
    child = [o for o in summary["sync"]["objects"] if o["pid"] != summary["root_pid"]]
    # The child waits 50 ms and then ~250 ms for the lock its parent holds: labelled where
    # the parent made it, also when the child unpickled it (spawn, forkserver).
    assert any(o["label"] == f"mp.Lock@sync_mp_semantics.py:{made} (lock)" for o in child), \
        child


@pytest.mark.parametrize("method", METHODS)
def test_lock_waits_credited_across_processes(method: str, tmp_path: Path) -> None:
    script = SCRIPTS / "mp_lock_methods.py"
    run = trace_run(tmp_path / "t.pftrace", str(script), method)
    assert run.returncode == 0, run.stderr
    label = f"mp.Lock@mp_lock_methods.py:{_line(script, 'ledger = ctx.Lock()')} (lock)"
    waits = [r for r in engine.query(run.trace, WAITS) if r["name"].startswith(
        f"waiting for {label}")]
    # 3 workers meet at a Barrier, then take 2 turns of 100 ms each: the first holder keeps
    # 2 waiting (a semaphore is not fair: a releaser may take it again at once).
    assert len(waits) >= 2, waits
    # the workers are ForkProcess-1, SpawnProcess-2 ... (a context's Process)
    assert all(re.fullmatch(r"MainThread of \w+Process-\d", str(r["releaser"]))
               for r in waits), waits
    assert all(re.fullmatch(rf"waiting for {re.escape(label)}, held by MainThread of "
                            r"\w+Process-\d", r["name"]) for r in waits), waits
    flows = [f for f in engine.query(run.trace, CROSS_FLOWS) if label in f["src"]]
    assert len(flows) >= 2 and all(f["src_upid"] != f["dst_upid"] for f in flows), flows
    holds = engine.query(run.trace, "select name, dur from slice where name like 'holding %'")
    assert holds and all(90e6 <= h["dur"] <= 250e6 for h in holds), holds
    assert engine.stats_errors(run.trace) == []


@pytest.mark.parametrize("method", METHODS)
def test_handoffs_name_the_other_process(method: str, tmp_path: Path) -> None:
    """An Event set, a Queue/SimpleQueue put, a JoinableQueue's last task_done and a
    Condition notify, each in the child 100 ms after its parent began waiting: each
    wait names the child as what ended it, with the outcome the call returned."""
    script = SCRIPTS / "mp_handoffs.py"
    run = trace_run(tmp_path / "t.pftrace", str(script), method)
    assert run.returncode == 0, run.stderr
    assert run.stdout.splitlines()[-1] == "notified True"
    made, queues = _line(script, "ctx.Event(), ctx.Event()"), _line(script, "ctx.Queue()")
    expected = {
        f"waiting for mp.Event@mp_handoffs.py:{made} (go)": "notified",
        f"waiting for an item from mp.Queue@mp_handoffs.py:{queues} (items)": "got_item",
        f"waiting for an item from mp.SimpleQueue@mp_handoffs.py:{queues} (simple)":
            "got_item",
        f"waiting for every task of mp.JoinableQueue@mp_handoffs.py:{queues} (jobs) to be "
        "done": "notified",
        f"waiting for mp.Condition@mp_handoffs.py:{made} (cond)": "notified"}
    rows = {r["name"]: r for r in engine.query(run.trace, WAITS)}
    for name, outcome in expected.items():
        assert name in rows, (name, sorted(rows))
        assert rows[name]["outcome"] == outcome, rows[name]
        assert re.fullmatch(r"MainThread of \w*Process-1", str(rows[name]["releaser"])), \
            rows[name]
    flows = [f for f in engine.query(run.trace, CROSS_FLOWS) if " mp." in f["src"]]
    assert len(flows) >= 5 and all(f["src_upid"] != f["dst_upid"] for f in flows), flows


@pytest.mark.parametrize("method", ("fork", "spawn"))
def test_deadlock_across_processes_at_timeout(method: str, tmp_path: Path) -> None:
    script = SCRIPTS / "mp_deadlock.py"
    run = trace_run(tmp_path / "t.pftrace", str(script), method,
                    options=("--quiet", "--timeout", "4"))  # traced spawn children start slowly
    assert run.returncode == 128 + 15, run.stderr
    lock = f"mp.Lock@mp_deadlock.py:{_line(script, 'lock_a, lock_b = ctx.Lock()')} (second)"
    assert "concurtrace: deadlock in processes transfer-ab (pid " in run.stderr, run.stderr
    cycles = (f"MainThread in transfer-ab waits for {lock} held by MainThread in "
              f"transfer-ba, which waits for {lock} held by MainThread in transfer-ab",
              f"MainThread in transfer-ba waits for {lock} held by MainThread in "
              f"transfer-ab, which waits for {lock} held by MainThread in transfer-ba")
    assert any(c in run.stderr for c in cycles), run.stderr
    assert "MainThread in transfer-ab (tid " in run.stderr
    assert "blocked at transfer (mp_deadlock.py:" in run.stderr
    summary = run.summary()
    [finding] = _kinds(summary, "deadlock")
    assert any(c in finding["message"] for c in cycles)
    [recorded] = summary["sync"]["deadlocks"]
    steps = recorded["cycle"]
    assert steps[0]["pid"] != steps[1]["pid"]
    assert steps[0]["held_by_pid"] == steps[1]["pid"] and steps[1]["held_by_pid"] == \
        steps[0]["pid"]


def test_manager_lock_waits_name_holder_and_server(tmp_path: Path) -> None:
    script = SCENARIO_DIR / "manager_dict_contention.py"
    run = trace_run(tmp_path / "t.pftrace", str(script))
    assert run.returncode == 0, run.stderr
    label = f"Manager Lock@manager_dict_contention.py:{_line(script, 'manager.Lock()')} (lock)"
    waits = [r for r in engine.query(run.trace, WAITS) if r["name"].startswith(
        f"waiting for {label}")]
    assert len(waits) >= 3, waits
    assert {r["server"] for r in waits} == {"SyncManager-1"}
    held = [r for r in waits if ", held by MainThread of Process-" in r["name"]]
    assert len(held) >= 2, waits
    assert sum(1 for r in waits if " of Process-" in str(r["releaser"])) >= 2, waits
    flows = [f for f in engine.query(run.trace, CROSS_FLOWS) if label in f["src"]]
    assert len(flows) >= 2 and all(f["src_upid"] != f["dst_upid"] for f in flows), flows
    summary = run.summary()
    [finding] = [f for f in _kinds(summary, "lock_contention") if label in f["message"]]
    assert finding["message"].startswith("3 threads in 3 processes waited ")
    # The server's own waits on the real lock carry the proxy's label, and no finding.
    server = [o for o in summary["sync"]["objects"] if o["process"] == "SyncManager-1"]
    assert any(o["label"].endswith("(in the server)") for o in server), server
    assert len([f for f in _kinds(summary, "lock_contention") if "Manager Lock" in
                f["message"]]) == 1


@pytest.mark.parametrize("mode", ("full", "light"))
def test_mp_tracebacks_are_unchanged(mode: str, tmp_path: Path) -> None:
    expected, got = compare("tracebacks_sync_mp.py", mode, tmp_path)
    assert expected.count("Traceback (most recent call last)") == 10
    if sys.version_info >= (3, 11):
        assert got == expected
        return
    assert len(OWN_ENTRY.findall(got)) <= got.count("Traceback (most recent"), got
    assert OWN_ENTRY.sub("", got) == expected
