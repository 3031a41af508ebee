"""The "<thread> sync" child tracks: blocking waits, contended holds, and the flow from
the release/put/set/notify/exit that ended each wait to where the waiter resumed.

Kept off the thread's own track so VizTracer's function slices keep their nesting.
Slices that would cross on one track (hand-over-hand locking) go to a second lane,
"<thread> sync 2".
"""

from __future__ import annotations

from itertools import count
from typing import Any

from concurtrace.model.sync import Hold, Wait
from concurtrace.model.sync_exit import EXIT_KIND, waited_for_text
from concurtrace.model.sync_inner import is_inner
from concurtrace.model.sync_mp import FLUSH, waiting_text
from concurtrace.model.timeline import Instant, Slice, Thread, Timeline

FLOW_BASE = 1 << 40  # far above the lifecycle flows' ids
SIGNAL_VERB = {"release": "released", "notify": "notified", "set": "set", "put": "put into",
               "get": "took from", "exit": "ended", "arrive": "arrived last at",
               "break": "broke", "reset": "reset", "complete": "completed",
               "cancel": "cancelled", "send": "sent into", "close": "closed",
               "handled": "handed over a result of", "connect": "connected to",
               "accept": "accepted"}
FUTURES_WAITS = {"Futures.wait": "wait()", "Futures.as_completed": "as_completed()"}
MP_WAIT_NAMES = {"mp.Pipe.recv": "waiting for a message from {}",
                 "mp.Pipe.poll": "waiting in poll() for a message from {}",
                 "mp.Process.join": "waiting for {} to end",
                 "mp.Process.exit_join": "waiting at exit for {} to end",
                 "mp.AsyncResult": "waiting for the result of {}",
                 "mp.connection.wait": "waiting in {}",
                 "mp.Listener.accept": "waiting in accept() for a client of {}",
                 "mp.Client": "waiting for {} to be accepted"}
ByThread = dict[tuple[int, int], list[tuple[str, list[Slice], list[Instant]]]]


def sync_tracks(timeline: Timeline) -> ByThread:
    """(pid, tid) -> [(track name, slices, instants)] for every thread with sync events."""
    threads = {(p.pid, t.tid): t for p in timeline.processes.values() for t in p.threads.values()}
    PROCESSES.clear()
    PROCESSES.update({p.pid: p.name for p in timeline.processes.values()})
    slices: dict[tuple[int, int], list[Slice]] = {}
    marks: dict[tuple[int, int], list[Instant]] = {}
    flows = count(FLOW_BASE)
    for wait in [*timeline.sync.waits, *timeline.sync.exit_waits]:
        key = (wait.pid, wait.tid)
        end = _end(wait.end, threads.get(key), timeline)
        piece = Slice(wait.start, max(0, end - wait.start), _wait_name(wait, threads),
                      _wait_args(wait, threads))
        slices.setdefault(key, []).append(piece)
        if wait.releaser is not None and wait.released_ns is not None and wait.end is not None:
            flow = next(flows)
            verb = "ended" if wait.kind == "Thread" else "completed a future of" \
                if wait.kind in FUTURES_WAITS else SIGNAL_VERB.get(wait.released_op or "",
                                                                   "signalled")
            by_pid = wait.releaser_pid or wait.pid  # another process: the arrow crosses
            what = f"{verb} {_object(wait)}" if wait.kind != EXIT_KIND else \
                f"ended {_name(wait.tid, wait.pid, threads)}'s wait at exit"
            marks.setdefault((by_pid, wait.releaser), []).append(
                Instant(wait.released_ns, what, by_pid, wait.releaser,
                        {"label": wait.label}, flows_out=[flow]))
            marks.setdefault(key, []).append(
                Instant(wait.end, f"resumed: {wait.outcome}", wait.pid, wait.tid,
                        {"label": wait.label}, flows_in=[flow]))
    for hold in timeline.sync.holds:
        key = (hold.pid, hold.tid)
        end = _end(hold.end, threads.get(key), timeline)
        slices.setdefault(key, []).append(_hold_slice(hold, end))
    out: ByThread = {}
    for key in set(slices) | set(marks):
        thread = threads.get(key)
        if thread is None:
            continue
        lanes = _lanes(slices.get(key, []))
        rows = out.setdefault(key, [])
        for index, lane in enumerate(lanes or [[]]):
            suffix = "" if index == 0 else f" {index + 1}"
            rows.append((f"{thread.name} sync{suffix}", lane,
                         sorted(marks.get(key, []), key=lambda m: m.ts) if index == 0 else []))
    return out


def _end(end: int | None, thread: Thread | None, timeline: Timeline) -> int:
    if end is not None:
        return end
    return (thread.ended_ns if thread is not None and thread.ended_ns else 0) or timeline.ended_ns


def _object(wait: Wait) -> str:
    return wait.label


def _name(tid: int | None, pid: int, threads: dict[tuple[int, int], Thread],
          waiter_pid: int | None = None,
          processes: dict[int, str] | None = None) -> str | None:
    """A thread's name; "MainThread of Process-2" when it is another process's."""
    if tid is None:
        return None
    thread = threads.get((pid, tid))
    name = thread.name if thread is not None else f"thread {tid}"
    if waiter_pid is not None and pid != waiter_pid:
        name += f" of {(processes or {}).get(pid) or f'pid {pid}'}"
    return name


def _wait_name(wait: Wait, threads: dict[tuple[int, int], Thread]) -> str:
    if wait.kind == EXIT_KIND:  # the interpreter joining the non-daemon threads
        names = [_name(t, wait.pid, threads) or "?" for t in wait.waited_for]
        return f"waiting at exit for {waited_for_text(names)}"
    if wait.kind == "Thread":
        return f"waiting for {wait.label} to end"
    if wait.kind in ("Queue.get", "SimpleQueue.get"):
        return f"waiting for an item from {wait.label}"
    if wait.kind == "Barrier":
        return f"waiting at {wait.label}" + (f" for {wait.parties} threads" if wait.parties
                                             else "")
    if wait.kind == "Future.result":
        return f"waiting for the result of {wait.label}"
    if wait.kind in FUTURES_WAITS:
        count = (f"{wait.futures} future" + ("s" if wait.futures != 1 else "")) \
            if wait.futures else "futures"
        return f"waiting in {FUTURES_WAITS[wait.kind]} for {count} ({wait.label})"
    if wait.kind == "Queue.put":
        return f"waiting for room in {wait.label}"
    if is_inner(wait.kind):  # its method's lock, handed on, not held long (sync_inner)
        call = "with" if wait.outer_call == "__enter__" else f"{wait.outer_call}()"
        return f"waiting in {call} of {wait.label} for its inner lock"
    if wait.kind.endswith("Queue.join"):
        return f"waiting for every task of {wait.label} to be done"
    if wait.kind.endswith(FLUSH):  # a Queue's feeder thread
        return waiting_text(wait)
    if wait.kind in MP_WAIT_NAMES:
        return MP_WAIT_NAMES[wait.kind].format(wait.label)
    if wait.kind.endswith(".get"):  # multiprocessing queues
        return f"waiting for an item from {wait.label}"
    if wait.kind.endswith(".put"):
        return f"waiting for room in {wait.label}"
    holder = _name(wait.holder, wait.holder_pid or wait.pid, threads, wait.pid, PROCESSES)
    return f"waiting for {wait.label}" + (f", held by {holder}" if holder else "")


PROCESSES: dict[int, str] = {}  # pid -> name, set by sync_tracks for the names above


def _wait_args(wait: Wait, threads: dict[tuple[int, int], Thread]) -> dict[str, Any]:
    args: dict[str, Any] = {
        "kind": wait.kind, "label": wait.label,
        "holder": _name(wait.holder, wait.holder_pid or wait.pid, threads, wait.pid, PROCESSES),
        "releaser": _name(wait.releaser, wait.releaser_pid or wait.pid, threads, wait.pid,
                          PROCESSES),
        "outcome": wait.outcome or "still waiting when the process stopped",
        "unfinished": True if wait.end is None else None}
    if wait.inner_label is not None:
        args["lock"] = wait.inner_label
    if wait.kind == EXIT_KIND:
        args["waited_for"] = ", ".join(_name(t, wait.pid, threads) or "?"
                                       for t in wait.waited_for)
    if wait.shared is not None:  # shared across processes: which ones
        args.update(holder_pid=wait.holder_pid, releaser_pid=wait.releaser_pid,
                    server=PROCESSES.get(wait.server_pid or 0) if wait.server_pid else None,
                    server_pid=wait.server_pid)
    elif wait.releaser_pid is not None:  # a join's child, a process pool's worker
        args["releaser_pid"] = wait.releaser_pid
    return args


def _hold_slice(hold: Hold, end: int) -> Slice:
    waiting = f" ({hold.waiters} waiting)" if hold.waiters else ""
    return Slice(hold.start, max(0, end - hold.start), f"holding {hold.label}{waiting}",
                 {"kind": hold.kind, "label": hold.label, "waiters": hold.waiters,
                  "unfinished": True if hold.end is None else None})


def _lanes(pieces: list[Slice]) -> list[list[Slice]]:
    """Greedy: each slice on the first lane where it nests inside or follows the open ones."""
    lanes: list[list[Slice]] = []
    stacks: list[list[int]] = []  # per lane: ends of the slices still open
    for piece in sorted(pieces, key=lambda s: (s.ts, -s.dur)):
        for lane, stack in zip(lanes, stacks, strict=True):
            while stack and stack[-1] <= piece.ts:
                stack.pop()
            if not stack or piece.end <= stack[-1]:
                lane.append(piece)
                stack.append(piece.end)
                break
        else:
            lanes.append([piece])
            stacks.append([piece.end])
    return lanes
