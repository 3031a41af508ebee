"""Lock waits inside a threading/queue object's own method, credited to that object.

A program calls q.put(), sem.release(), q.get(block=False); threading's code takes the
object's inner lock (q._count._cond._lock, q.mutex), and that acquire may block past the
threshold with no thread holding it for long: the lock is handed from thread to thread
and each next owner waits for the GIL before it runs (CPython's test_queue: 150 threads
read as waiting 68% of their lives for Lock@test_queue.py:424 (self.q._count._cond._lock),
"each holder kept it 3 µs"). Such a wait is the call's, on the object the program called
(kind "<Kind>.<method>.lock"), not a contended-lock wait of its own. A wait during which
other threads' measured holds of the lock cover at least half of it stays the lock's: the
lock really was held (`with q._count._cond:` around a slow call).
"""

from __future__ import annotations

from concurtrace.model.intervals import OPEN, Disjoint

TYPE_CHECKING = False
if TYPE_CHECKING:
    from concurtrace.model.sync import SyncData

HELD_SHARE = 0.5  # of the wait, covered by other threads' holds: the lock's own wait
INNER_SUFFIX = ".lock"


def credit_inner_waits(data: SyncData) -> None:
    holds: dict[tuple[int, int], list[tuple[int, int, int]]] = {}
    for hold in data.holds:
        holds.setdefault((hold.pid, hold.obj), []).append(
            (hold.start, hold.end if hold.end is not None else OPEN, hold.tid))
    spans = {key: Disjoint(items) for key, items in holds.items()}
    for wait in data.waits:
        if wait.outer is None or wait.end is None or wait.kind not in ("Lock", "RLock"):
            continue  # a wait still open (a deadlock?) keeps the lock it waits for
        span = spans.get((wait.pid, wait.obj))
        held = sum(overlap for overlap, tid in span.overlapping(wait.start, wait.end)
                   if tid != wait.tid) if span is not None else 0
        if held >= HELD_SHARE * (wait.end - wait.start):
            continue
        wait.inner_label, wait.label = wait.label, wait.outer_label or wait.label
        wait.obj = wait.outer
        wait.kind = f"{wait.outer_kind}.{wait.outer_call}{INNER_SUFFIX}"
        # the owner read when it began is the last to have run with the lock: the one it
        # was handed to may not have run yet, so no holder is named
        wait.holder = wait.holder_since = None
        wait.holder_stack = []


def is_inner(kind: str) -> bool:
    return kind.endswith(INNER_SUFFIX)
