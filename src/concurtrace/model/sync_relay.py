"""A wait on a ProcessPoolExecutor's futures, credited to the worker process that ran it.

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

from concurtrace.model.sync_mp import Objects


class RelayedWait(Protocol):
    pid: int
    releaser: int | None
    releaser_pid: int | None
    released_ns: int | None
    released_op: str | None
    via: str | None


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
