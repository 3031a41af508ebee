"""Issue 16, threading side: Barrier, SimpleQueue (ThreadPoolExecutor's work queue),
concurrent.futures waits, unnamed objects counted, and the lock_held_while_blocking and
queue_bottleneck findings, end to end (real runs, the JSON summary, and the trace read
back by Perfetto's engine)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import engine
from traced import SCRIPTS, trace_run

from concurtrace.scenarios import SCENARIO_DIR

SLICES = ("select t.name as track, s.name, "
          "extract_arg(s.arg_set_id, 'debug.releaser') as releaser, "
          "extract_arg(s.arg_set_id, 'debug.outcome') as outcome "
          "from slice s join track t on s.track_id = t.id where t.name like '% sync%' "
          "and s.name like 'waiting%'")
FLOWS = ("select so.name as src, si.name as dst from flow f "
         "join slice so on f.slice_out = so.id join slice si on f.slice_in = si.id")


def _rows(summary: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {row["label"]: row for row in summary["sync"]["objects"]}


def _line(path: Path, text: str) -> int:
    return next(n for n, line in enumerate(path.read_text().splitlines(), 1) if text in line)


def _kinds(summary: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [f for f in summary["findings"] if f["kind"] == kind]


def test_barrier_waits_say_who_arrived_last_and_who_broke_it(tmp_path: Path) -> None:
    script = SCRIPTS / "barrier_outcomes.py"
    plain = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                           timeout=30)
    run = trace_run(tmp_path / "t.pftrace", str(script))
    assert run.returncode == 0 and sorted(run.stdout.splitlines()) == \
        sorted(plain.stdout.splitlines())  # the threads print in their own order
    rows = _rows(run.summary())

    def row(name: str) -> dict[str, Any]:
        return rows[f"Barrier@barrier_outcomes.py:{_line(script, f'{name} = ')} ({name})"]

    phase, broken, aborted, reset = (row(n) for n in ("PHASE", "BROKEN", "ABORTED", "RESET"))
    assert phase["outcomes"] == {"passed": 2}
    assert phase["ended_by"] == [{"thread": "slow", "waits": 2}]  # the last to arrive
    assert sorted(phase["waiters"]) == ["early-0", "early-1"]
    assert broken["outcomes"] == {"timed_out": 1, "broken": 1}
    assert broken["ended_by"] == [{"thread": "impatient", "waits": 1}]  # its timeout broke it
    assert aborted["outcomes"] == {"broken": 1}
    assert aborted["ended_by"] == [{"thread": "MainThread", "waits": 1}]
    assert reset["outcomes"] == {"reset": 1}
    assert reset["ended_by"] == [{"thread": "MainThread", "waits": 1}]
    slices = engine.query(run.trace, SLICES)
    early = [s for s in slices if s["track"].startswith("early-")]
    assert {(s["name"], s["releaser"], s["outcome"]) for s in early} == {
        (f"waiting at {phase['label']} for 3 threads", "slow", "passed")}
    assert {(s["track"], s["releaser"], s["outcome"]) for s in slices
            if s["track"] in ("patient sync", "impatient sync")} == {
        ("patient sync", "impatient", "broken"), ("impatient sync", None, "timed_out")}
    flows = engine.query(run.trace, FLOWS)
    assert sum(1 for f in flows if f["src"] == f"arrived last at {phase['label']}"
               and f["dst"] == "resumed: passed") == 2
    assert any(f["src"] == f"broke {aborted['label']}" and f["dst"] == "resumed: broken"
               for f in flows)
    assert any(f["src"] == f"reset {reset['label']}" and f["dst"] == "resumed: reset"
               for f in flows)
    assert engine.stats_errors(run.trace) == []


def test_futures_waits_name_the_worker_that_completed_them(tmp_path: Path) -> None:
    script = SCRIPTS / "futures_pool.py"
    run = trace_run(tmp_path / "t.pftrace", str(script))
    assert run.returncode == 0, run.stderr
    rows = _rows(run.summary())
    line = {name: _line(script, f"{name} = ") for name in ("fut", "bad", "queued")}
    fut = rows[f"Future@futures_pool.py:{line['fut']} (fut)"]
    assert fut["outcomes"] == {"completed": 1} and fut["ended_by"][0]["thread"] == "pool_0"
    assert rows[f"Future@futures_pool.py:{line['bad']} (bad)"]["outcomes"] == {"raised": 1}
    queued = rows[f"Future@futures_pool.py:{line['queued']} (queued)"]
    assert queued["outcomes"] == {"cancelled": 1}
    assert queued["ended_by"][0]["thread"].startswith("Thread-")  # the Timer that cancelled
    waited = rows[f"Futures@futures_pool.py:{_line(script, 'cf.wait(batch)')}"]
    assert waited["outcomes"] == {"completed": 1}
    assert waited["ended_by"][0]["thread"].startswith("pool_")
    as_completed = rows[f"Futures@futures_pool.py:{_line(script, 'cf.as_completed(')}"]
    assert as_completed["waits"] == 2
    work = rows[f"SimpleQueue@futures_pool.py:{_line(script, 'ThreadPoolExecutor(')} "
                "(ThreadPoolExecutor work queue)"]
    assert work["outcomes"].get("got_item", 0) >= 1
    enders = {e["thread"] for e in work["ended_by"]}
    # submit()'s put, and at shutdown a worker passing on the None that stops the next
    assert "MainThread" in enders and enders <= {"MainThread", "pool_0", "pool_1"}, enders
    assert not [label for label in rows if label.startswith(("Condition@", "Event@"))], rows
    slices = engine.query(run.trace, SLICES)
    names = {(s["name"], s["releaser"], s["outcome"]) for s in slices
             if s["track"] == "MainThread sync"}
    assert (f"waiting for the result of {fut['label']}", "pool_0", "completed") in names
    assert any(n.startswith(f"waiting in wait() for 3 futures ({waited['label']})")
               and r and r.startswith("pool_") for n, r, _o in names)
    assert any(n == f"waiting in as_completed() for 2 futures ({as_completed['label']})"
               for n, _r, _o in names)
    flows = engine.query(run.trace, FLOWS)
    assert any(f["src"] == f"completed {fut['label']}" and f["dst"] == "resumed: completed"
               for f in flows)
    assert any(f["src"] == f"put into {work['label']}" and f["dst"] == "resumed: got_item"
               for f in flows)
    assert engine.stats_errors(run.trace) == []


def test_unnamed_objects_are_counted_not_merged(tmp_path: Path) -> None:
    """Five locks made "inside threading", one after the other (ids reused): one row
    that says five objects, and the terminal says "5 unnamed Locks"."""
    run = trace_run(tmp_path / "t.pftrace", str(SCRIPTS / "unnamed_locks.py"))
    assert run.returncode == 0, run.stderr
    [row] = [r for r in run.summary()["sync"]["objects"] if r["kind"] == "Lock"]
    assert row["label"] == "Lock@? (lock)" and row["unnamed"] is True
    assert row["instances"] == 5 and row["waits"] == 5
    text = subprocess.run([sys.executable, "-m", "concurtrace", "summary", str(run.trace)],
                          capture_output=True, text=True, timeout=60).stdout
    assert "5 unnamed Locks (made inside the standard library" in " ".join(text.split())


def test_lock_held_while_sleeping_is_found(tmp_path: Path) -> None:
    script = SCRIPTS / "lock_held_sleeping.py"
    run = trace_run(tmp_path / "t.pftrace", str(script))
    summary = run.summary()
    [finding] = _kinds(summary, "lock_held_while_blocking")
    lock = f"Lock@lock_held_sleeping.py:{_line(script, 'BANK = ')} (BANK)"
    assert finding["message"].startswith(f"Thread 'transfer' in MainProcess held {lock} for ")
    assert "mostly while sleeping, and 3 threads waited for it meanwhile" in finding["message"]
    assert finding["message"].endswith(": teller-0, teller-1, teller-2.")
    assert not _kinds(summary, "lock_contention")  # the tellers seldom waited


def test_queue_bottleneck_names_the_slow_consumer(tmp_path: Path) -> None:
    script = SCENARIO_DIR / "queue_pipeline.py"
    run = trace_run(tmp_path / "t.pftrace", str(script))
    [finding] = _kinds(run.summary(), "queue_bottleneck")
    raw = f"Queue@queue_pipeline.py:{_line(script, 'RAW: ')} (RAW)"
    assert finding["message"].startswith("Thread 'reader' in MainProcess spent ")
    assert f"blocked in put() on the full {raw}: its consumer parser takes items out " \
        "slower than they come" in finding["message"]


def test_no_sync_findings_where_there_is_no_problem(tmp_path: Path) -> None:
    """A consumer that keeps up (producer_consumer), a condition hand-off, and a lock
    whose contention is its own finding: neither new finding."""
    for name in ("producer_consumer", "condition_handoff", "lock_contention"):
        run = trace_run(tmp_path / f"{name}.pftrace", str(SCENARIO_DIR / f"{name}.py"))
        kinds = {f["kind"] for f in run.summary()["findings"]}
        assert not kinds & {"lock_held_while_blocking", "queue_bottleneck"}, (name, kinds)
