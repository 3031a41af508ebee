"""Blocking waits and contended holds, rebuilt from the records runner/hooks_sync writes.

Record kinds: "wait_begin" (tid, obj, kind, label, stack; locks add holder,
holder_since, holder_stack, and outer, outer_kind, outer_call, outer_label when taken
inside a threading/queue object's method (model/sync_inner.py); semaphores add initial,
the value they were made with; joins add target; barriers parties; futures waits futures,
return_when; locks, semaphores, queues and joins add timeout, null for none), "wait_end"
(tid, obj, outcome: acquired | notified | set | got_item | put_item | thread_ended |
passed | broken | reset | completed | raised | cancelled | timed_out | interrupted),
"sync_signal" (tid, obj, op: release | notify | set | put | get | arrive | break | reset |
complete | cancel; a lock release adds since, its hold start; a process pool future's
completion adds via, its call's identity: model/sync_relay.py), "exit_wait" (tid: the main
thread, done, waits for the non-daemon threads at exit, threads: their native ids; it
becomes one of SyncData.exit_waits, model/sync_exit.py). obj is the object's identity
number in its process (the hooks give each object one; older traces have its id()).
Objects are (pid, obj): one object in a forked child is the child's own copy. A wait
with no end was still open when its process stopped (a deadlock, a --timeout, a kill).
"""

from __future__ import annotations

import bisect
from typing import Any

from concurtrace.model.intervals import OPEN, Disjoint
from concurtrace.model.records import RawRecord
from concurtrace.model.sync_inner import credit_inner_waits
from concurtrace.model.sync_mp import (
    SHARED_ENDED_BY,
    Objects,
    ProcessEnds,
    attribute_shared,
    label_server_side,
    relabel,
    shared_holds,
)
from concurtrace.model.sync_relay import credit_multi_waits, relay_to_workers
from concurtrace.model.sync_types import Hold as Hold  # re-exported: their old home
from concurtrace.model.sync_types import LockCounts as LockCounts
from concurtrace.model.sync_types import SyncData as SyncData
from concurtrace.model.sync_types import Wait as Wait
from concurtrace.model.units import SYNC_THRESHOLD_NS

LOCK_KINDS = ("Lock", "RLock")
# Which signals can end which wait.
ENDED_BY: dict[str, tuple[str, ...]] = {
    "Lock": ("release",), "RLock": ("release",), "Condition": ("notify",), "Event": ("set",),
    "Semaphore": ("release",), "BoundedSemaphore": ("release",), "Queue.get": ("put",),
    "Queue.put": ("get",), "SimpleQueue.get": ("put",), "Barrier": ("arrive", "break", "reset"),
    "Future.result": ("complete", "cancel"), "Futures.wait": ("set",),
    "Futures.as_completed": ("set",)}
# A barrier wait that ended broken was ended by a break or a reset, not by an arrival.
ENDED_BY_OUTCOME: dict[str, tuple[str, ...]] = {
    "passed": ("arrive",), "broken": ("break",), "reset": ("reset",)}
# multiprocessing objects and Manager proxies (sync_mp)
ENDED_BY.update({kind: (op,) for kind, op in SHARED_ENDED_BY.items()})


def build_sync(records: list[RawRecord], enabled: bool = True,
               threshold_ns: int = SYNC_THRESHOLD_NS) -> SyncData:
    """records in time order (records.read_session)."""
    data = SyncData(enabled, threshold_ns)
    open_waits: dict[tuple[int, int], Wait] = {}
    signals: dict[tuple[int, int], list[RawRecord]] = {}
    lives = _Lifetimes()
    shared = Objects()
    process_ends = ProcessEnds()
    at_exit: list[RawRecord] = []
    starts: list[RawRecord] = []
    from concurtrace.model.deadlock import KnownThreads  # it imports this module
    threads = KnownThreads()
    for record in records:
        ev = record["ev"]
        if ev in ("finalize", "hello"):
            process_ends.note(record)
            threads.note(record)
        elif ev == "thread_start":
            starts.append(record)
            threads.note(record)
        elif ev == "exit_wait":
            at_exit.append(record)
        elif ev == "lock_counts":
            _count(data, record, lives)
        elif ev == "thread_exit" and record.get("tid") is not None:
            data.thread_exits[(int(record["pid"]), int(record["tid"]))] = int(record["ts"])
            threads.note(record)
        elif ev == "wait_begin":
            wait = _wait(record)
            wait.obj = lives.begin(wait.pid, wait.obj, wait.label)
            if wait.outer is not None:
                wait.outer = lives.current(wait.pid, wait.outer)
            open_waits[(wait.pid, wait.tid)] = wait
            data.waits.append(wait)
        elif ev == "wait_end":
            ended = open_waits.pop((int(record["pid"]), int(record["tid"])), None)
            if ended is not None and ended.obj == lives.current(ended.pid, record.get("obj")):
                ended.end, ended.outcome = int(record["ts"]), str(record.get("outcome"))
                ended.ready = tuple(str(r) for r in record.get("ready") or ())
                ended.ready_pids = tuple(int(p) for p in record.get("ready_pids") or ())
        elif ev == "sync_object" or (ev == "sync_signal" and record.get("shared")):
            shared.add(record)
        elif ev == "sync_signal":
            pid = int(record["pid"])
            signals.setdefault((pid, lives.current(pid, record["obj"])), []).append(record)
    data.recorded = bool(data.waits or signals or shared.signals or data.counts)
    data.waits = [w for w in data.waits if (w.end is None or w.end - w.start >= threshold_ns)
                  and (w.shared is None or relabel(w, shared))]
    kinds = {(w.pid, w.obj): (w.kind, w.label) for w in data.waits}
    times = {key: [int(s["ts"]) for s in found] for key, found in signals.items()}
    for wait in data.waits:
        key = (wait.pid, wait.obj)
        _attribute(wait, signals.get(key, []), times.get(key, []), data.thread_exits)
    for key, found in signals.items():
        kind, label = kinds.get(key, ("Lock", "Lock@?"))
        for signal in found:
            if signal.get("op") == "release" and signal.get("since") and kind in LOCK_KINDS:
                data.holds.append(Hold(key[0], int(signal["tid"]), key[1], kind, label,
                                       int(signal["since"]), int(signal["ts"])))
    _open_holds(data)
    _count_waiters(data)
    credit_inner_waits(data)
    attribute_shared(data.waits, shared)
    relay_to_workers(data.waits, shared)
    credit_multi_waits(data.waits, shared, process_ends)
    process_ends.attribute(data.waits)
    label_server_side(data.waits, shared)
    label_server_side(data.holds, shared)
    for hold in shared_holds(data.waits, shared):
        data.holds.append(Hold(hold["pid"], hold["tid"], 0, hold["kind"], hold["label"],
                               hold["start"], hold["end"], shared=hold["shared"]))
    _count_shared_waiters(data)
    from concurtrace.model.sync_exit import exit_waits  # it builds Waits: imports this module
    data.exit_waits = exit_waits(at_exit, starts, data.thread_exits, threshold_ns)
    data.alive = threads.alive
    return data


def _count(data: SyncData, record: RawRecord, lives: _Lifetimes) -> None:
    """The totals so far: the record with the most contended acquisitions is the last."""
    pid = int(record["pid"])
    key = (pid, lives.current(pid, record.get("obj")))
    seen = data.counts.get(key)
    contended = int(record.get("contended") or 0)
    if seen is None or contended >= seen.contended:
        data.counts[key] = LockCounts(pid, key[1], str(record.get("kind", "Lock")),
                                      str(record.get("label", "Lock@?")),
                                      int(record.get("acquires") or 0), contended,
                                      int(record.get("contended_ns") or 0))


def _count_shared_waiters(data: SyncData) -> None:
    for hold in data.holds:
        if hold.shared is None:
            continue
        end = hold.end if hold.end is not None else 1 << 62
        hold.waiters = len({(w.pid, w.tid) for w in data.waits if w.shared == hold.shared
                            and (w.pid, w.tid) != (hold.pid, hold.tid) and w.start < end
                            and (w.end is None or w.end > hold.start)})


class _Lifetimes:
    """Records name an object by its id(), which a later object may reuse once the first
    is freed (a Queue made where a finished Thread was): a wait on that id under another
    label starts a new object, and signals belong to the object living at their time."""

    def __init__(self) -> None:
        self._now: dict[tuple[int, int], tuple[str, int]] = {}

    def begin(self, pid: int, obj: int, label: str) -> int:
        label_now, serial = self._now.get((pid, obj), (label, 0))
        if label_now != label:
            serial += 1
        self._now[(pid, obj)] = (label, serial)
        return self._key(obj, serial)

    def current(self, pid: int, obj: Any) -> int:
        raw = int(obj) if obj is not None else 0
        return self._key(raw, self._now.get((pid, raw), ("", 0))[1])

    @staticmethod
    def _key(obj: int, serial: int) -> int:
        return obj if serial == 0 else -(obj * 1024 + serial)  # negative: never a real id


def _wait(record: RawRecord) -> Wait:
    return Wait(pid=int(record["pid"]), tid=int(record["tid"]), obj=int(record["obj"]),
                kind=str(record.get("kind", "?")), label=str(record.get("label", "?")),
                start=int(record["ts"]), holder=_int(record.get("holder")),
                holder_since=_int(record.get("holder_since")), target=_int(record.get("target")),
                futures=_int(record.get("futures")), parties=_int(record.get("parties")),
                stack=list(record.get("stack") or []),
                holder_stack=list(record.get("holder_stack") or []),
                timeout_s=_seconds(record.get("timeout")),
                shared=str(record["shared"]) if record.get("shared") else None,
                holder_pid=_int(record.get("holder_pid")),
                target_pid=_int(record.get("target_pid")),
                initial=record["initial"] if isinstance(record.get("initial"), int) else None,
                outer=_int(record.get("outer")),
                outer_kind=_str(record.get("outer_kind")),
                outer_call=_str(record.get("outer_call")),
                outer_label=_str(record.get("outer_label")))


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _seconds(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and value >= 0 else None


def _int(value: Any) -> int | None:
    return int(value) if isinstance(value, int) and value else None


def _attribute(wait: Wait, signals: list[RawRecord], times: list[int],
               exits: dict[tuple[int, int], int]) -> None:
    """The last matching signal inside the wait ended it; a join was ended by the exit."""
    if wait.end is None or wait.outcome in ("timed_out", "interrupted"):
        return
    if wait.kind == "Thread" and wait.target is not None:
        wait.releaser, wait.released_ns = wait.target, exits.get((wait.pid, wait.target))
        wait.released_op = "exit"
        return
    ops = ENDED_BY_OUTCOME.get(wait.outcome or "", ()) if wait.kind == "Barrier" else ()
    ops = ops or ENDED_BY.get(wait.kind, ())
    index = bisect.bisect_right(times, wait.end) - 1
    while index >= 0 and times[index] >= wait.start:
        signal = signals[index]
        if signal.get("op") in ops and int(signal["tid"]) != wait.tid:
            wait.releaser, wait.released_ns = int(signal["tid"]), times[index]
            wait.released_op = str(signal.get("op"))
            wait.via = str(signal["via"]) if signal.get("via") else None
            return
        index -= 1


def _open_holds(data: SyncData) -> None:
    """A lock a still-open wait was blocked on is held to the end by its last holder."""
    closed = {(h.pid, h.obj, h.tid, h.start) for h in data.holds}
    for wait in data.waits:
        if wait.end is None and wait.kind in LOCK_KINDS and wait.holder and wait.holder_since:
            key = (wait.pid, wait.obj, wait.holder, wait.holder_since)
            if key not in closed:
                closed.add(key)
                data.holds.append(Hold(wait.pid, wait.holder, wait.obj, wait.kind, wait.label,
                                       wait.holder_since, None))


def _count_waiters(data: SyncData) -> None:
    """How many other threads waited for the lock during each hold (a thread's waits are
    disjoint: one bisection per waiter, not a pass over every wait per hold)."""
    per_tid: dict[tuple[int, int], dict[int, list[tuple[int, int, None]]]] = {}
    for wait in data.waits:
        per_tid.setdefault((wait.pid, wait.obj), {}).setdefault(wait.tid, []).append(
            (wait.start, wait.end if wait.end is not None else OPEN, None))
    spans = {key: {tid: Disjoint(items) for tid, items in tids.items()}
             for key, tids in per_tid.items()}
    for hold in data.holds:
        end = hold.end if hold.end is not None else OPEN
        hold.waiters = sum(1 for tid, waits in spans.get((hold.pid, hold.obj), {}).items()
                           if tid != hold.tid and next(waits.overlapping(hold.start, end),
                                                       None) is not None)
