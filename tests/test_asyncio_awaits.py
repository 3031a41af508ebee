"""Issue 17: what a task awaited between steps is named, for every kind of wait the issue
lists (asyncio's Lock/Event/Queue/Semaphore/Condition, a subprocess's communicate() and
wait(), streams, a socket, a plain future, to_thread/run_in_executor, another task), and
who created each task (another task, or a plain callback of the loop's)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import engine
from traced import SCRIPTS, trace_run

SCRIPT = SCRIPTS / "asyncio_awaits.py"
WAITS = ("select t.name as track, s.name from slice s join track t on s.track_id = t.id "
         "where t.name like 'task %' and s.name like 'awaiting %'")
CREATORS = ("select t.name as track, extract_arg(s.arg_set_id, 'debug.created_by') as by "
            "from slice s join track t on s.track_id = t.id where t.name like 'task %' "
            "and s.name = 'running'")
EXPECTED = {  # task -> what it awaited (each waiter surely waits, see the script)
    "holder": {"asyncio.sleep", "gather"}, "lock_waiter": {"Lock.acquire"},
    "lock_acquirer": {"Lock.acquire"}, "event_waiter": {"Event.wait"},
    "queue_getter": {"Queue.get"}, "sem_waiter": {"Semaphore.acquire"},
    "cond_waiter": {"Condition.wait"}, "cond_notifier": set(),
    "cond_holder": {"asyncio.sleep", "task cond_locker"}, "cond_locker": {"Condition.acquire"},
    "sub_communicate": {"subprocess start", "subprocess"},  # was "gather" (its pipes)
    "sub_wait": {"subprocess start", "subprocess"}, "sock_reader": {"socket read"},
    "future_waiter": {"a future"}, "offload": {"to_thread", "run_in_executor"},
    "task_awaiter": {"task sleeper"}, "cancelled_offload": {"run_in_executor"},
    **({"group_owner": {"TaskGroup"}} if sys.version_info >= (3, 11) else {}),
}


def test_every_kind_of_wait_is_named_and_every_creator_too(tmp_path: Path) -> None:
    plain = subprocess.run([sys.executable, str(SCRIPT)], capture_output=True, text=True,
                           timeout=60)
    # the default mode: every await named (--light names 4 a ms: on a busy moment some
    # are "(not named: ...)", tests/test_asyncio_step_cost.py)
    run = trace_run(tmp_path / "t.pftrace", str(SCRIPT), options=("--quiet",))
    assert plain.returncode == run.returncode == 0, run.stderr
    assert run.stdout == plain.stdout == "done 2\n"
    waits: dict[str, set[str]] = {}
    for row in engine.query(run.trace, WAITS):
        waits.setdefault(row["track"], set()).add(row["name"].removeprefix("awaiting "))
    for name, expected in EXPECTED.items():
        assert waits.get(f"task {name} ({name})", set()) == expected, (name, waits)
    stream = waits["task stream_reader (stream_reader)"]
    assert {"connect", "stream read"} <= stream <= {"connect", "stream read", "stream write",
                                                    "stream close"}, stream
    # asyncio's own tasks too (communicate's pipes): nothing left unnamed
    named = {kind for kinds in waits.values() for kind in kinds}
    assert all(not kind.startswith("asyncio.") or kind in ("asyncio.sleep", "asyncio.wait")
               for kind in named), named
    creators = {(r["track"], r["by"]) for r in engine.query(run.trace, CREATORS)}
    by = {track: creator for track, creator in creators}
    assert len(by) == len(creators)  # one creator per task
    assert by["task lock_waiter (lock_waiter)"] == "task holder (holder)"
    assert by["task cond_notifier (cond_notifier)"] == "task cond_waiter (cond_waiter)"
    assert by["task holder (holder)"] == "task Task-1 (main)" and by["task Task-1 (main)"] is None
    spawned = [c for t, c in creators if t.endswith("(spawned)")]
    line = SCRIPT.read_text().splitlines().index(
        'def spawn(made: "list[asyncio.Future[None]]") -> None:  # a plain callback makes a task')
    assert spawned == [f"callback spawn (asyncio_awaits.py:{line + 1})"] * 2, creators
    [handler] = [c for t, c in creators if t.endswith("(serve)")]
    assert handler.startswith("callback StreamReaderProtocol.connection_made (streams.py:")
    ended = engine.query(run.trace, "select extract_arg(s.arg_set_id, 'debug.exception_"
                                    "retrieved') as got from slice s join track t on "
                                    "s.track_id = t.id where t.name = 'task fails (fails)' "
                                    "and s.name = 'running'")
    assert [row["got"] for row in ended][-1:] == [1], ended  # main awaited it, caught it
    calls = engine.query(run.trace, "select s.name from slice s join track t on s.track_id = "
                                    "t.id where t.name like '% executor calls'")
    # the cancelled call never ran: no call of it on a worker's track
    assert sorted(c["name"] for c in calls) == ["run_in_executor: blocking"] * 2 + [
        "to_thread: blocking"], calls
    [loop] = run.summary()["asyncio"]["loops"]
    assert {"Condition.wait", "Condition.acquire", "Semaphore.acquire", "subprocess",
            "subprocess start", "Event.wait", "Queue.get", "Lock.acquire"} <= set(loop["awaits"])
    counters = engine.query(run.trace, "select t.name, count(*) as n from counter c join "
                                       "counter_track t on c.track_id = t.id group by 1")
    sampled = {row["name"]: row["n"] for row in counters}
    assert sampled.get("ready tasks", 0) >= 1 and sampled.get("loop lag ms", 0) >= 1, sampled
    assert engine.stats_errors(run.trace) == []
