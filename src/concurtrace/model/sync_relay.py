"""Waits ended through a go-between: a ProcessPoolExecutor's futures, credited to the
worker process that ran the call, and multiprocessing.connection.wait(), credited to
the send or the exit that made one of its objects ready.

The parent's executor manager thread completes each future (its set_result ends the
wait), and that signal names the call ("via": "cf:<result queue>:<work id>",
runner/hooks_sync_mp_cfpool.py); the worker that put the call's result wrote a
"complete" signal under that identity. The wait is ended by that put: the worker's pid,
thread and time (the arrow starts there, in the worker). Without the worker's signal (an
untraced worker, a result put before anyone waited, a pool broken by a dead worker) the
manager thread stays the releaser: what is known, nothing invented.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from typing import Protocol

from concurtrace.model.sync_mp import Objects, ProcessEnds


class RelayedWait(Protocol):
    pid: int
    releaser: int | None
    releaser_pid: int | None
    released_ns: int | None
    released_op: str | None
    via: str | None


class MultiWait(Protocol):
    pid: int
    tid: int
    kind: str
    start: int
    end: int | None
    outcome: str | None
    releaser: int | None
    releaser_pid: int | None
    released_ns: int | None
    released_op: str | None
    ready: tuple[str, ...]
    ready_pids: tuple[int, ...]


def relay_to_workers(waits: Sequence[RelayedWait], objects: Objects) -> None:
    for wait in waits:
        if wait.via is None or wait.released_ns is None:
            continue
        signals = [s for s in objects.signals.get(wait.via, ()) if s.get("op") == "complete"
                   and int(s["pid"]) != wait.pid]
        times = [int(s["ts"]) for s in signals]
        index = bisect.bisect_right(times, wait.released_ns) - 1
        if index >= 0:  # the put before the manager thread's set_result
            put = signals[index]
            wait.releaser, wait.releaser_pid = int(put["tid"]), int(put["pid"])
            wait.released_ns, wait.released_op = times[index], "complete"


def credit_multi_waits(waits: Sequence[MultiWait], objects: Objects,
                       process_ends: ProcessEnds) -> None:
    """connection.wait(): the first send into (or close of the other end of) a ready Pipe
    end within the wait; else a ready child's exit (its finalize, before the wait ended)."""
    for wait in waits:
        if wait.kind != "mp.connection.wait" or wait.outcome != "ready" or wait.end is None:
            continue
        found = sorted((int(s["ts"]), int(s["pid"]), int(s["tid"]), str(s.get("op")))
                       for identity in wait.ready for s in objects.signals.get(identity, ())
                       if s.get("op") in ("send", "close")
                       and wait.start <= int(s["ts"]) <= wait.end
                       and (int(s["pid"]), int(s["tid"])) != (wait.pid, wait.tid))
        if found:
            ts, pid, tid, op = found[0]
            wait.releaser, wait.releaser_pid, wait.released_ns, wait.released_op = \
                tid, pid, ts, op
            continue
        for pid in wait.ready_pids:
            ended = process_ends.finalized.get(pid)
            wait.releaser_pid, wait.released_op = pid, "exit"
            if ended is not None and ended[0] <= wait.end:
                wait.released_ns, wait.releaser = max(ended[0], wait.start), ended[1]
            else:
                wait.releaser = process_ends.main.get(pid, pid)
            break
