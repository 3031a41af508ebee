"""The wait-for graph on hand-made records: what is a deadlock and what is not."""

from __future__ import annotations

from typing import Any

from concurtrace.model.deadlock import describe, find_deadlocks
from concurtrace.model.sync import build_sync

PID = 100


def _begin(ts: int, tid: int, obj: int, holder: int | None, kind: str = "Lock",
           **extra: Any) -> dict[str, Any]:
    return {"ev": "wait_begin", "ts": ts, "pid": PID, "tid": tid, "obj": obj, "kind": kind,
            "label": f"{kind}@x.py:{obj}", "holder": holder, "holder_since": ts - 5, **extra}


def test_abba_is_a_cycle() -> None:
    data = build_sync([_begin(10, 1, 2, holder=2), _begin(11, 2, 1, holder=1)])
    [deadlock] = find_deadlocks(data)
    names = {(PID, 1): "ab", (PID, 2): "ba"}
    assert describe(deadlock, names) == \
        "ab waits for Lock@x.py:2 held by ba, which waits for Lock@x.py:1 held by ab"


def test_released_after_the_wait_began_is_no_cycle() -> None:
    records = [_begin(10, 1, 2, holder=2), _begin(11, 2, 1, holder=1),
               {"ev": "sync_signal", "ts": 20, "pid": PID, "tid": 1, "obj": 1, "op": "release",
                "since": 4}]
    assert find_deadlocks(build_sync(records)) == []


def test_ended_wait_and_exited_thread_are_no_edges() -> None:
    records = [_begin(10, 1, 2, holder=2), _begin(11, 2, 1, holder=1),
               {"ev": "wait_end", "ts": 30, "pid": PID, "tid": 2, "obj": 1, "outcome": "acquired"}]
    assert find_deadlocks(build_sync(records)) == []
    records = [_begin(10, 1, 2, holder=2), _begin(11, 2, 1, holder=1),
               {"ev": "thread_exit", "ts": 30, "pid": PID, "tid": 2}]
    assert find_deadlocks(build_sync(records)) == []


def test_self_wait_on_a_plain_lock_and_queue_waits_are_not_reported() -> None:
    assert find_deadlocks(build_sync([_begin(10, 1, 1, holder=1)])) == []
    records = [_begin(10, 1, 7, holder=None, kind="Queue.get"), _begin(11, 2, 8, holder=1)]
    assert find_deadlocks(build_sync(records)) == []


def test_join_cycle() -> None:
    records = [_begin(10, 1, 50, holder=None, kind="Thread", target=2),
               _begin(11, 2, 3, holder=1)]
    [deadlock] = find_deadlocks(build_sync(records))
    assert [w.tid for w in deadlock.waits] == [1, 2]


def test_same_object_in_two_processes_is_two_objects() -> None:
    other = {**_begin(11, 2, 1, holder=1), "pid": PID + 1}
    assert find_deadlocks(build_sync([_begin(10, 1, 2, holder=2), other])) == []


def test_a_reused_id_is_another_object() -> None:
    """id() is reused once an object is freed (a Queue made where a finished Thread was):
    a wait on it under another label is another object, with its own waits and signals."""
    records = [
        {**_begin(10, 1, 7, holder=None, kind="Thread"), "label": "Thread worker"},
        {"ev": "wait_end", "ts": 20, "pid": PID, "tid": 1, "obj": 7, "outcome": "thread_ended"},
        {**_begin(30, 1, 7, holder=None, kind="Queue.get"), "label": "Queue@x.py:9 (q)"},
        {"ev": "sync_signal", "ts": 40, "pid": PID, "tid": 2, "obj": 7, "op": "put"},
        {"ev": "wait_end", "ts": 41, "pid": PID, "tid": 1, "obj": 7, "outcome": "got_item"},
    ]
    data = build_sync(records, threshold_ns=0)
    first, second = data.waits
    assert (first.label, second.label) == ("Thread worker", "Queue@x.py:9 (q)")
    assert first.obj != second.obj
    assert (first.outcome, second.outcome) == ("thread_ended", "got_item")
