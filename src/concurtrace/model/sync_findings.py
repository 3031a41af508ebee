"""Two thread rules about synchronization (model/findings.py lists them):

- lock_held_while_blocking: a thread held a lock while it slept, did I/O or waited for
  a child (the sampler's states during its contended holds), and other threads waited
  for that lock meanwhile. Not reported for a lock that already has a lock_contention
  finding (that one names the holders' state and gives the same advice).
- queue_bottleneck: a producer spent a large share of its life blocked in put() on a
  full queue; the threads whose get() made room are its consumers, the bottleneck.
  An unbounded queue never blocks a put: a consumer falling behind on one is not seen.
"""

from __future__ import annotations

from collections import Counter

from concurtrace.model.intervals import Disjoint
from concurtrace.model.plain import Plain
from concurtrace.model.sync import LOCK_KINDS, Hold, Wait
from concurtrace.model.sync_analysis import has_contention_finding
from concurtrace.model.timeline import Finding, Process, Thread, Timeline
from concurtrace.model.units import human_duration, lifetime
from concurtrace.model.vocabulary import STATES

BLOCKING_STATES = ("sleep", "io", "child")
HELD_BLOCKED_SHARE = 0.5  # of the hold time, the holder slept / did I/O
HELD_BLOCKED_MIN_NS = 20_000_000
OTHERS_WAITED_MIN_NS = 10_000_000
PUT_SHARE = 0.2  # of the producer's life, blocked in put()
PUT_MIN_NS = 50_000_000
NAMES_SHOWN = 3


class _Held(Plain):
    label: str
    holds: int
    held_ns: int
    blocked: Counter[str]
    waited_ns: int
    waiters: set[int]

    __slots__ = ("label", "holds", "held_ns", "blocked", "waited_ns", "waiters")

    def __init__(self, label: str, holds: int = 0, held_ns: int = 0,
                 blocked: Counter[str] | None = None, waited_ns: int = 0,
                 waiters: set[int] | None = None) -> None:
        self.label = label
        self.holds = holds
        self.held_ns = held_ns
        self.blocked = Counter() if blocked is None else blocked
        self.waited_ns = waited_ns
        self.waiters = set() if waiters is None else waiters


def _overlap(start: int, end: int, other_start: int, other_end: int) -> int:
    return max(0, min(end, other_end) - max(start, other_start))


def _names(timeline: Timeline, pid: int, tids: set[int]) -> str:
    proc = timeline.processes.get(pid)
    names = sorted(proc.threads[t].name if proc and t in proc.threads else f"thread {t}"
                   for t in tids)
    more = f" and {len(names) - NAMES_SHOWN} more" if len(names) > NAMES_SHOWN else ""
    return ", ".join(names[:NAMES_SHOWN]) + more


def _end(value: int | None, thread: Thread, timeline: Timeline) -> int:
    return value if value is not None else thread.ended_ns or timeline.ended_ns


def lock_held_while_blocking(timeline: Timeline, proc: Process,
                             thread: Thread) -> Finding | None:
    holds = [h for h in timeline.sync.holds
             if h.pid == proc.pid and h.tid == thread.tid and h.kind in LOCK_KINDS]
    if not holds or not thread.states:
        return None
    per_tid: dict[int, dict[int, list[tuple[int, int, int]]]] = {}
    for wait in timeline.sync.waits:
        if wait.pid == proc.pid and wait.tid != thread.tid and wait.kind in LOCK_KINDS:
            per_tid.setdefault(wait.obj, {}).setdefault(wait.tid, []).append(
                (wait.start, _end(wait.end, thread, timeline), wait.tid))
    waits = {obj: [Disjoint(items) for items in tids.values()] for obj, tids in per_tid.items()}
    runs: Disjoint[str] = Disjoint([(run.ts, run.ts + run.dur, str(run.state))
                                    for run in thread.states if run.state in BLOCKING_STATES])
    by_lock: dict[int, _Held] = {}
    for hold in holds:
        _add_hold(by_lock.setdefault(hold.obj, _Held(hold.label)), hold, thread, runs,
                  waits.get(hold.obj, []), timeline)
    worst = max(by_lock.values(), key=lambda h: h.waited_ns)
    blocked = sum(worst.blocked.values())
    if blocked < HELD_BLOCKED_MIN_NS or blocked < HELD_BLOCKED_SHARE * worst.held_ns \
            or worst.waited_ns < OTHERS_WAITED_MIN_NS \
            or has_contention_finding(timeline, proc.pid, worst.label):
        return None
    doing = STATES[worst.blocked.most_common(1)[0][0]].slice_name
    what = "while sleeping" if doing == "sleeping" else f"while in {doing}" \
        if doing == "I/O" else f"while {doing}"
    held = f"for {human_duration(worst.held_ns)}" if worst.holds == 1 else \
        f"{worst.holds} times, {human_duration(worst.held_ns // worst.holds)} each on average,"
    count = len(worst.waiters)
    who = "1 thread" if count == 1 else f"{count} threads"
    return Finding("lock_held_while_blocking", proc.pid, thread.tid,
                   f"Thread '{thread.name}' in {proc.name} held {worst.label} {held} mostly "
                   f"{what}, and {who} waited for it meanwhile "
                   f"({human_duration(worst.waited_ns)} in all): "
                   f"{_names(timeline, proc.pid, worst.waiters)}.",
                   "Sleep, do the I/O or wait before taking the lock or after releasing "
                   "it: hold a lock only to read or update what it protects.", 3)


def _add_hold(held: _Held, hold: Hold, thread: Thread, runs: Disjoint[str],
              waits: list[Disjoint[int]], timeline: Timeline) -> None:
    """runs: the holder's blocking state runs; waits: each other thread's waits for it."""
    end = _end(hold.end, thread, timeline)
    held.holds += 1
    held.held_ns += max(0, end - hold.start)
    for overlap, state in runs.overlapping(hold.start, end):
        held.blocked[state] += overlap
    for one_thread in waits:
        for waited, tid in one_thread.overlapping(hold.start, end):
            held.waited_ns += waited
            held.waiters.add(tid)


def queue_bottleneck(timeline: Timeline, proc: Process, thread: Thread) -> Finding | None:
    life = lifetime(thread.started_ns, thread.ended_ns) or 0
    puts: dict[str, list[Wait]] = {}
    for wait in timeline.sync.waits:
        if wait.pid == proc.pid and wait.tid == thread.tid and wait.kind == "Queue.put":
            puts.setdefault(wait.label, []).append(wait)
    if not puts or not life:
        return None
    label, found = max(puts.items(), key=lambda item: sum(_dur(w, thread, timeline)
                                                          for w in item[1]))
    blocked = sum(_dur(w, thread, timeline) for w in found)
    if blocked < PUT_MIN_NS or blocked < PUT_SHARE * life:
        return None
    consumers = {w.releaser for w in found if w.releaser is not None}
    busy = Counter[str]()
    for tid in consumers:
        consumer = proc.threads.get(tid)
        for run in consumer.states if consumer else []:
            for wait in found:
                busy[run.state] += _overlap(wait.start, _end(wait.end, thread, timeline),
                                            run.ts, run.ts + run.dur)
    them = "its consumer" if len(consumers) == 1 else "its consumers"
    take = "takes" if len(consumers) == 1 else "take"
    named = f" {_names(timeline, proc.pid, consumers)}" if consumers else ""
    doing = f" (mostly {STATES[busy.most_common(1)[0][0]].slice_name} meanwhile)" \
        if busy else ""
    return Finding("queue_bottleneck", proc.pid, thread.tid,
                   f"Thread '{thread.name}' in {proc.name} spent {blocked / life:.0%} of its "
                   f"{human_duration(life)} blocked in put() on the full {label}: {them}"
                   f"{named} {take} items out slower than they come{doing}.",
                   "The consumer side is the bottleneck: make its work per item faster, or "
                   "run more consumers on this queue (processes for CPU-bound work); a "
                   "bigger maxsize only delays the blocking.", 3)


def _dur(wait: Wait, thread: Thread, timeline: Timeline) -> int:
    return max(0, _end(wait.end, thread, timeline) - wait.start)
