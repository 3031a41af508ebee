"""Objects shared across processes on hand-made records: a wait in one process is ended
by a signal in another, and a cycle across processes is a deadlock (model/sync_mp.py)."""

from __future__ import annotations

from typing import Any

from concurtrace.model.deadlock import describe, find_deadlocks
from concurtrace.model.sync import build_sync


def _begin(ts: int, pid: int, shared: str, holder_pid: int | None, **extra: Any) -> dict[str, Any]:
    return {"ev": "wait_begin", "ts": ts, "pid": pid, "tid": pid, "obj": 7, "kind": "mp.Lock",
            "label": "mp.Lock@?", "shared": shared, "holder": holder_pid,
            "holder_pid": holder_pid, "holder_since": ts - 5, **extra}


def test_cross_process_abba_is_a_cycle() -> None:
    data = build_sync([_begin(10, 1, "/a", holder_pid=2), _begin(11, 2, "/b", holder_pid=1),
                       {"ev": "sync_object", "ts": 1, "pid": 9, "shared": "/a",
                        "kind": "mp.Lock", "label": "mp.Lock@x.py:1"}])
    [deadlock] = find_deadlocks(data)
    assert deadlock.processes() == [1, 2]
    names = {(1, 1): "MainThread", (2, 2): "MainThread"}
    assert describe(deadlock, names, {1: "P1", 2: "P2"}) == (
        "MainThread in P1 waits for mp.Lock@x.py:1 held by MainThread in P2, which waits for "
        "mp.Lock@? held by MainThread in P1")


def test_release_in_another_process_ends_the_wait_and_breaks_the_cycle() -> None:
    records = [_begin(10, 1, "/a", holder_pid=2), _begin(11, 2, "/b", holder_pid=1),
               {"ev": "sync_signal", "ts": 20, "pid": 1, "tid": 1, "obj": 3, "shared": "/b",
                "op": "release", "since": 4}]
    assert find_deadlocks(build_sync(records)) == []
    records = [_begin(10, 1, "/a", holder_pid=2),
               {"ev": "sync_signal", "ts": 15, "pid": 2, "tid": 2, "obj": 3, "shared": "/a",
                "op": "release", "since": 5},
               {"ev": "wait_end", "ts": 16, "pid": 1, "tid": 1, "obj": 7, "outcome": "acquired"}]
    [wait] = build_sync(records, threshold_ns=0).waits
    assert (wait.releaser_pid, wait.releaser, wait.released_ns) == (2, 2, 15)


def test_the_same_id_in_two_processes_is_two_objects_unless_shared() -> None:
    """Without "shared", (pid, obj) is the object: a release in pid 2 ends nothing in 1."""
    records = [{"ev": "wait_begin", "ts": 10, "pid": 1, "tid": 1, "obj": 7, "kind": "Lock",
                "label": "Lock@x.py:1", "holder": 5},
               {"ev": "sync_signal", "ts": 15, "pid": 2, "tid": 2, "obj": 7, "op": "release"},
               {"ev": "wait_end", "ts": 16, "pid": 1, "tid": 1, "obj": 7, "outcome": "acquired"}]
    [wait] = build_sync(records, threshold_ns=0).waits
    assert wait.releaser is None
