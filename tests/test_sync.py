"""Issue 16, first slice: waits on threading objects, contended holds, deadlocks, end to end
(real runs, the JSON summary, and the trace read back by Perfetto's engine)."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import engine
from traced import SCRIPTS, start_detached, summary_json, trace_run

from concurtrace.scenarios import SCENARIO_DIR

SYNC_SLICES = ("select t.name as track, s.name, s.dur, "
               "extract_arg(s.arg_set_id, 'debug.releaser') as releaser, "
               "extract_arg(s.arg_set_id, 'debug.outcome') as outcome "
               "from slice s join track t on s.track_id = t.id where t.name like '% sync%'")
SYNC_FLOWS = ("select so.name as src, ti.name as dst_track, si.name as dst from flow f "
              "join slice so on f.slice_out = so.id join slice si on f.slice_in = si.id "
              "join track ti on si.track_id = ti.id where so.name not like 'Thread.%'")


def _line(path: Path, text: str) -> int:
    return next(n for n, line in enumerate(path.read_text().splitlines(), 1) if text in line)


def _tid(stderr: str, thread: str) -> str:
    return stderr.split(f"{thread} (tid ", 1)[1].split(")", 1)[0]


def _findings(summary: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [f for f in summary["findings"] if f["kind"] == kind]


def test_programs_behave_the_same(tmp_path: Path) -> None:
    """Every lock/condition/event/semaphore/queue/join behaviour the script prints (results,
    exceptions and their messages, timeouts, reentrancy, pickling, fork) is unchanged."""
    script = SCRIPTS / "sync_semantics.py"
    plain = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                           timeout=60, cwd=tmp_path)
    run = trace_run(tmp_path / "t.pftrace", str(script), cwd=tmp_path)
    assert run.returncode == plain.returncode == 0, run.stderr
    assert run.stdout == plain.stdout
    summary = run.summary()
    labels = {(o["pid"], o["label"].split(" ")[0]) for o in summary["sync"]["objects"]}
    kinds = {o["kind"] for o in summary["sync"]["objects"]}
    # The 25 objects waited on longest are listed; these wait 20-300 ms (about 15 objects).
    assert {"Lock", "RLock", "Condition", "Queue", "Thread", "Barrier", "SimpleQueue",
            "Future", "Futures"} <= kinds, kinds
    outcomes = {o for row in summary["sync"]["objects"] for o in row["outcomes"]}
    assert {"passed", "timed_out", "broken", "reset", "completed", "got_item"} <= outcomes, \
        outcomes  # raised and cancelled: tests/test_sync_threading.py (these are too short)
    shared = _line(script, "shared = threading.Lock()")
    root = summary["root_pid"]
    # The fork child waits 50 ms for the lock its parent holds: labelled where it was made.
    assert any(pid != root and label == f"Lock@sync_semantics.py:{shared}"
               for pid, label in labels), labels


def test_abba_deadlock_at_timeout(tmp_path: Path) -> None:
    script = SCENARIO_DIR / "deadlock_abba.py"
    run = trace_run(tmp_path / "t.pftrace", str(script), options=("--quiet", "--timeout", "2"))
    assert run.returncode == 128 + 15, run.stderr
    made, inner = _line(script, "self.lock = threading.Lock()"), _line(script, "with target.lock")
    lock = f"Lock@deadlock_abba.py:{made}"
    cycle = (f"transfer-ab waits for {lock} (B.lock) held by transfer-ba, "
             f"which waits for {lock} (A.lock) held by transfer-ab")
    assert "concurtrace: deadlock in MainProcess (pid " in run.stderr
    assert cycle in run.stderr, run.stderr
    assert f"transfer-ab (tid {_tid(run.stderr, 'transfer-ab')}) blocked at transfer " \
        f"(deadlock_abba.py:{inner})" in run.stderr
    assert "(A.lock) was taken by transfer-ab, which was at transfer (deadlock_abba.py:" \
        in run.stderr
    summary = run.summary()
    [deadlock] = _findings(summary, "deadlock")
    assert cycle in deadlock["message"]
    [recorded] = summary["sync"]["deadlocks"]
    steps = recorded["cycle"]
    assert [s["thread"] for s in steps] == ["transfer-ab", "transfer-ba"]
    assert steps[0]["held_by"] == steps[1]["tid"] and steps[1]["held_by"] == steps[0]["tid"]
    assert not _findings(summary, "lock_contention")  # a deadlock is not contention
    rows = engine.query(run.trace, SYNC_SLICES)
    names = {(r["track"], r["name"]) for r in rows}
    assert ("transfer-ab sync", f"waiting for {lock} (B.lock), held by transfer-ba") in names
    assert ("transfer-ab sync", f"holding {lock} (A.lock) (1 waiting)") in names
    assert engine.stats_errors(run.trace) == []


def test_no_deadlock_where_there_is_none(tmp_path: Path) -> None:
    """A consumer on a queue whose producer sleeps, and a waiter on a lock whose holder
    sleeps, stopped by --timeout: open waits, no cycle."""
    run = trace_run(tmp_path / "t.pftrace", str(SCRIPTS / "no_deadlock.py"),
                    options=("--quiet", "--timeout", "1.5"))
    assert "concurtrace: deadlock" not in run.stderr
    summary = run.summary()
    assert not _findings(summary, "deadlock")
    open_waits = {o["label"]: o["open_waits"] for o in summary["sync"]["objects"]}
    assert open_waits.get("Lock@no_deadlock.py:9 (BUSY)") == 1, open_waits
    assert open_waits.get("Queue@no_deadlock.py:8 (JOBS)") == 1, open_waits


def test_lock_contention_names_the_lock(tmp_path: Path) -> None:
    script = SCENARIO_DIR / "lock_contention.py"
    lock = f"Lock@lock_contention.py:{_line(script, 'LOCK = threading.Lock()')}"
    run = trace_run(tmp_path / "t.pftrace", str(script))
    assert run.returncode == 0, run.stderr
    summary = run.summary()
    [finding] = _findings(summary, "lock_contention")
    assert finding["message"].startswith("4 threads waited ")
    assert f"of their lives for {lock} (LOCK)" in finding["message"]
    assert "mostly sleeping" in finding["message"]
    assert "outside the lock" in finding["advice"]
    [top, *_] = summary["sync"]["objects"]
    assert top["label"] == f"{lock} (LOCK)" and top["waits"] >= 8
    assert 0.4 <= top["waiter_share"] <= 0.95
    rows = engine.query(run.trace, SYNC_SLICES)
    waits = [r for r in rows if r["name"].startswith(f"waiting for {lock}")]
    holds = [r for r in rows if r["name"].startswith(f"holding {lock}")]
    assert len(waits) >= 8 and len(holds) >= 8
    assert all(r["releaser"] and r["releaser"].startswith("worker-") for r in waits)
    assert all(90e6 <= h["dur"] <= 200e6 for h in holds), holds  # each holder slept 100 ms
    flows = engine.query(run.trace, SYNC_FLOWS)
    handoffs = [f for f in flows if f["src"] == f"released {lock} (LOCK)"
                and f["dst"] == "resumed: acquired"]
    assert len(handoffs) >= 8, flows
    assert engine.stats_errors(run.trace) == []


def test_condition_and_queue_waits_name_who_ended_them(tmp_path: Path) -> None:
    cond = trace_run(tmp_path / "c.pftrace", str(SCENARIO_DIR / "condition_handoff.py"))
    rows = engine.query(cond.trace, SYNC_SLICES)
    waits = [r for r in rows if r["name"] ==
             "waiting for Condition@condition_handoff.py:31 (SHELF_READY)"]
    assert len(waits) >= 4, rows
    assert {(r["releaser"], r["outcome"]) for r in waits} == {("baker", "notified")}
    script = SCENARIO_DIR / "queue_pipeline.py"
    raw, parsed = _line(script, "RAW: "), _line(script, "PARSED: ")
    pipe = trace_run(tmp_path / "q.pftrace", str(script))
    rows = engine.query(pipe.trace, SYNC_SLICES)
    writer = [r for r in rows if r["track"] == "writer sync" and r["name"].startswith("waiting")]
    reader = [r for r in rows if r["track"] == "reader sync" and r["name"].startswith("waiting")]
    assert writer and {r["name"] for r in writer} == {
        f"waiting for an item from Queue@queue_pipeline.py:{parsed} (PARSED)"}
    assert {r["releaser"] for r in writer} == {"parser"}
    assert reader and {r["name"] for r in reader} == {
        f"waiting for room in Queue@queue_pipeline.py:{raw} (RAW)"}
    assert {r["releaser"] for r in reader} == {"parser"}


def test_no_sync_turns_it_off(tmp_path: Path) -> None:
    run = trace_run(tmp_path / "t.pftrace", str(SCENARIO_DIR / "lock_contention.py"),
                    options=("--quiet", "--light", "--no-sync"))
    assert run.returncode == 0
    summary = run.summary()
    assert summary["sync"] == {"enabled": False}
    assert not _findings(summary, "lock_contention")
    assert engine.query(run.trace, SYNC_SLICES) == []
    assert summary_json(run.trace)["threads"]  # the rest is still there


def test_deadlock_printed_at_the_stopping_ctrl_c(tmp_path: Path) -> None:
    """The first Ctrl-C reaches the program (main's join raises, the deadlocked
    non-daemon threads keep it alive); the second stops the tree: the cycle is printed."""
    trace = tmp_path / "t.pftrace"
    proc = start_detached([sys.executable, "-m", "concurtrace", "run", "--quiet", "-o",
                           str(trace), str(SCENARIO_DIR / "deadlock_abba.py")])
    assert proc.stdout is not None
    proc.stdout.readline()  # "two transfers started": both threads run
    time.sleep(0.6)  # each holds its first lock and waits for the other's
    proc.send_signal(signal.SIGINT)
    time.sleep(0.5)
    proc.send_signal(signal.SIGINT)
    _out, err = proc.communicate(timeout=60)
    assert "transfer-ab waits for Lock@deadlock_abba.py:" in err, err
    assert [f["kind"] for f in summary_json(trace)["findings"]].count("deadlock") == 1
