"""Wait-for edges through processes: a Process.join waits for the child's main thread,
and a Queue's feeder thread blocked writing into the queue's full pipe waits for the one
thread that would read it, the parent joining its process.

The feeder's edge is drawn only when no thread anywhere is reading that queue and every
other live thread of the joiner's process is blocked too (an untimed wait still open):
a thread that runs or sleeps could still call get(), and then it is no deadlock.
"""

from __future__ import annotations

from concurtrace.model.sync_mp import FLUSH
from concurtrace.model.sync_types import SyncData, Wait

Node = tuple[int, int]


def _open(wait: Wait, data: SyncData) -> bool:
    return wait.end is None and (wait.pid, wait.tid) not in data.thread_exits \
        and wait.timeout_s is None


def process_edges(data: SyncData) -> dict[Node, tuple[Node, Wait]]:
    """waiter -> (the thread it waits for, its wait), for joins of children and flushes."""
    edges: dict[Node, tuple[Node, Wait]] = {}
    joins: dict[int, list[Wait]] = {}  # child pid -> the open joins of it
    for wait in data.waits:
        if wait.kind != "mp.Process.join" or wait.target_pid is None or not _open(wait, data):
            continue
        child = wait.target_pid
        if child in data.alive and child in data.alive[child] \
                and (child, child) not in data.thread_exits:  # its main thread (tid = pid)
            edges[(wait.pid, wait.tid)] = ((child, child), wait)
            joins.setdefault(child, []).append(wait)
    blocked = {(w.pid, w.tid) for w in data.waits if _open(w, data)}
    reading = {w.shared for w in data.waits
               if w.kind.endswith(".get") and w.shared and w.end is None}
    for wait in data.waits:
        if not wait.kind.endswith(FLUSH) or wait.end is not None \
                or (wait.pid, wait.tid) in data.thread_exits or wait.shared in reading:
            continue
        joiners = joins.get(wait.pid, [])
        if len(joiners) != 1:  # no one, or several processes, could read it
            continue
        joiner = joiners[0]
        others = data.alive.get(joiner.pid, set()) - {joiner.tid}
        if all((joiner.pid, tid) in blocked for tid in others):
            edges[(wait.pid, wait.tid)] = ((joiner.pid, joiner.tid), wait)
    return edges
