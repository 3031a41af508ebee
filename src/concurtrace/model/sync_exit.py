"""The main thread's wait at interpreter exit for the non-daemon threads, as a wait.

After the main module returns, threading's shutdown joins every non-daemon thread
still alive (and any such thread started while it waits) before the interpreter goes
on: the main thread sits in a C lock wait the sampler sees as "waiting for lock". The
hook (runner/hooks_sync_exit.py) writes "exit_wait" (ts, tid, threads: the native ids
of the non-daemon threads alive then) as that wait begins; no record says when it
ends, so the wait ends when the last of those threads ended (its "thread_exit"), which
is also what ended it: the releaser. A thread that never ended (killed, deadlocked,
still running when the process stopped) leaves the wait open.

Not the program's contention: these waits are kept apart from the object waits
(SyncData.exit_waits), in no object row, finding or deadlock cycle.
"""

from __future__ import annotations

from typing import Any

from concurtrace.model.records import RawRecord
from concurtrace.model.sync import Wait
from concurtrace.model.timeline import Thread, Timeline

EXIT_KIND = "exit"
EXIT_LABEL = "interpreter exit"


def exit_waits(begins: list[RawRecord], starts: list[RawRecord],
               exits: dict[tuple[int, int], int], threshold_ns: int) -> list[Wait]:
    """begins: the "exit_wait" records; starts: the "thread_start" records."""
    out: list[Wait] = []
    for record in begins:
        pid, tid, ts = int(record["pid"]), int(record["tid"]), int(record["ts"])
        targets = [int(t) for t in record.get("threads") or [] if isinstance(t, int)]
        # threads started while it waits are waited for too; older traces (no "threads"):
        # the non-daemon threads started before it and not ended by then
        for start in starts:
            other = start.get("tid")
            if int(start["pid"]) != pid or start.get("daemon") or not isinstance(other, int) \
                    or other == tid or other in targets:
                continue
            # when its start() returned: by then it was in threading's table, so one
            # started earlier and not in "threads" had ended (or was seen: `in targets`);
            # its start_ts may be earlier than the hook's enumerate (a race, seen in CI)
            begun = int(start["ts"])
            ended = exits.get((pid, other))
            if begun >= ts or ("threads" not in record and (ended is None or ended > ts)):
                targets.append(other)
        if not targets:
            continue
        wait = Wait(pid=pid, tid=tid, obj=0, kind=EXIT_KIND, label=EXIT_LABEL, start=ts,
                    waited_for=tuple(targets))
        ends = [exits.get((pid, t)) for t in targets]
        if all(end is not None for end in ends):
            last = max(range(len(targets)), key=lambda i: ends[i] or 0)
            ended = max(ts, ends[last] or ts)
            if ended - ts < threshold_ns:
                continue
            # the main thread wakes after that thread's end (one ns: the flow's order)
            wait.end, wait.outcome = ended + 1, "thread_ended"
            wait.releaser, wait.released_ns, wait.released_op = targets[last], ended, "exit"
        out.append(wait)
    return out


def exit_wait_rows(timeline: Timeline, threads: dict[tuple[int, int], Thread]
                   ) -> list[dict[str, Any]]:
    """The summary's sync "exit_waits": who waited at exit, for which threads, how long."""
    rows: list[dict[str, Any]] = []
    for wait in timeline.sync.exit_waits:
        thread = threads.get((wait.pid, wait.tid))
        end = wait.end if wait.end is not None else (
            thread.ended_ns if thread is not None and thread.ended_ns else timeline.ended_ns)
        proc = timeline.processes.get(wait.pid)
        rows.append({"pid": wait.pid, "process": proc.name if proc else None,
                     "tid": wait.tid, "thread": name_of(threads, wait.pid, wait.tid),
                     "waited_for": [name_of(threads, wait.pid, t) for t in wait.waited_for],
                     "wait_ns": max(0, end - wait.start), "open": wait.end is None,
                     "ended_by": None if wait.releaser is None
                     else name_of(threads, wait.pid, wait.releaser)})
    return rows


def name_of(threads: dict[tuple[int, int], Thread], pid: int, tid: int) -> str:
    thread = threads.get((pid, tid))
    return thread.name if thread is not None else f"thread {tid}"


def waited_for_text(names: list[str], shown: int = 3) -> str:
    """"choreography", "a and b", "a, b, c and 2 more"."""
    if len(names) <= 1:
        return "".join(names)
    if len(names) <= shown:
        return ", ".join(names[:-1]) + f" and {names[-1]}"
    return ", ".join(names[:shown]) + f" and {len(names) - shown} more"
