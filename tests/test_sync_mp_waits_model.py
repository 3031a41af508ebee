"""Pipe, Process.join and Pool result waits on hand-made records (model/sync_mp.py): which
signal, in which process, ended each."""

from __future__ import annotations

from typing import Any

from concurtrace.model.sync import build_sync


def _wait(ts: int, end: int, kind: str, shared: str | None, outcome: str,
          **extra: Any) -> list[dict[str, Any]]:
    return [{"ev": "wait_begin", "ts": ts, "pid": 1, "tid": 1, "obj": 7, "kind": kind,
             "label": "x@y.py:1", "shared": shared, **extra},
            {"ev": "wait_end", "ts": end, "pid": 1, "tid": 1, "obj": 7, "outcome": outcome}]


def _signal(ts: int, pid: int, tid: int, shared: str, op: str) -> dict[str, Any]:
    return {"ev": "sync_signal", "ts": ts, "pid": pid, "tid": tid, "obj": 3, "shared": shared,
            "op": op}


def _one(records: list[dict[str, Any]]) -> tuple[Any, ...]:
    [wait] = build_sync(sorted(records, key=lambda r: r["ts"]), threshold_ns=0).waits
    return wait.releaser_pid, wait.releaser, wait.released_ns, wait.released_op


def test_a_message_ends_the_first_receive_waiting_when_it_was_sent() -> None:
    """Two sends while one recv waits: the first one's message is what it received."""
    records = [*_wait(10, 50, "mp.Pipe.recv", "pipe:1:1/0", "got_item"),
               _signal(20, 2, 22, "pipe:1:1/0", "send"), _signal(30, 3, 33, "pipe:1:1/0", "send"),
               _signal(25, 4, 44, "pipe:1:1/1", "send")]  # the other direction: not it
    assert _one(records) == (2, 22, 20, "send")


def test_eof_is_ended_by_the_close_not_by_a_send() -> None:
    records = [*_wait(10, 50, "mp.Pipe.recv", "pipe:1:1/0", "eof"),
               _signal(20, 2, 22, "pipe:1:1/0", "send"), _signal(40, 2, 23, "pipe:1:1/0", "close")]
    assert _one(records) == (2, 23, 40, "close")


def test_a_join_is_ended_by_the_childs_last_exit_hook() -> None:
    records = [{"ev": "hello", "ts": 1, "pid": 5, "main_tid": 5},
               *_wait(10, 60, "mp.Process.join", None, "exited", target_pid=5),
               {"ev": "finalize", "ts": 40, "pid": 5, "tid": 5, "reason": "exit"}]
    assert _one(records) == (5, 5, 40, "exit")
    killed = [{"ev": "hello", "ts": 1, "pid": 5, "main_tid": 5},
              *_wait(10, 60, "mp.Process.exit_join", None, "exited", target_pid=5)]
    assert _one(killed) == (5, 5, None, "exit")  # no exit hook ran: no time to draw from


def test_a_pool_result_names_the_worker_else_the_result_handler() -> None:
    job = "pool:1:4"
    worker = [*_wait(10, 60, "mp.AsyncResult", job, "completed"),
              _signal(20, 8, 8, job, "complete"), _signal(30, 9, 9, job, "complete"),
              _signal(35, 1, 2, job, "handled")]
    assert _one(worker) == (9, 9, 30, "complete")  # the last result it waited for
    threads = [*_wait(10, 60, "mp.AsyncResult", job, "completed"),
               _signal(35, 1, 2, job, "handled")]
    assert _one(threads) == (1, 2, 35, "handled")
    timed_out = [*_wait(10, 60, "mp.AsyncResult", job, "timed_out"),
                 _signal(35, 1, 2, job, "handled")]
    assert _one(timed_out) == (None, None, None, None)
