"""The wait-for graph at the end of a run, and its cycles: deadlocks.

An edge T -> H exists only while T is still blocked: in a lock acquire whose lock H
holds (H took it, or was seen holding it, after its last recorded release), or in a
join() of H. A thread that runs, sleeps, or waits on a queue, event or condition has
no edge, so no cycle goes through it: a waiter that a live producer will wake is no
deadlock, nor is a wait with a timeout (it ends by itself). A thread waiting for a
plain Lock it took itself is not reported (another thread may release a Lock). Each
thread waits on one thing at a time, so every node has at most one edge and the cycles
are found by following them.
"""

from __future__ import annotations

from dataclasses import dataclass

from concurtrace.model.records import RawRecord, lifecycle_records
from concurtrace.model.sync import LOCK_KINDS, SyncData, Wait


@dataclass
class Deadlock:
    pid: int
    waits: list[Wait]  # waits[i] is blocked on something held by waits[i + 1]'s thread


def find_deadlocks(data: SyncData) -> list[Deadlock]:
    edges: dict[tuple[int, int], tuple[int, Wait]] = {}
    holders = _holders_at_end(data)
    for wait in data.waits:
        if wait.end is not None or (wait.pid, wait.tid) in data.thread_exits \
                or wait.timeout_s is not None:  # it ends by itself
            continue
        if wait.kind in LOCK_KINDS:
            holder = holders.get((wait.pid, wait.obj))
        elif wait.kind == "Thread":
            holder = wait.target if (wait.pid, wait.target) not in data.thread_exits else None
        else:
            continue
        if holder is not None and holder != wait.tid:
            edges[(wait.pid, wait.tid)] = (holder, wait)
    found: list[Deadlock] = []
    seen: set[tuple[int, int]] = set()
    for start in sorted(edges):
        path: list[tuple[int, int]] = []
        node: tuple[int, int] | None = start
        while node is not None and node in edges and node not in seen and node not in path:
            path.append(node)
            node = (node[0], edges[node][0])
        if node is not None and node in path:
            cycle = path[path.index(node):]
            found.append(Deadlock(start[0], [edges[n][1] for n in cycle]))
        seen.update(path)
    return found


def _holders_at_end(data: SyncData) -> dict[tuple[int, int], int]:
    """(pid, obj) -> the thread holding the lock when its process stopped, if known."""
    events: list[tuple[int, int, tuple[int, int], int | None]] = []
    for wait in data.waits:
        if wait.kind in LOCK_KINDS:
            if wait.holder:
                events.append((wait.holder_since or wait.start, 0, (wait.pid, wait.obj),
                               wait.holder))
            if wait.end is not None and wait.outcome == "acquired":
                events.append((wait.end, 1, (wait.pid, wait.obj), wait.tid))
    for hold in data.holds:
        if hold.end is not None:
            events.append((hold.end, 2, (hold.pid, hold.obj), None))
    holders: dict[tuple[int, int], int] = {}
    for _ts, _order, key, tid in sorted(events, key=lambda e: (e[0], e[1])):
        if tid is None:
            holders.pop(key, None)
        else:
            holders[key] = tid
    return holders


def thread_names(records: list[RawRecord]) -> dict[tuple[int, int], str]:
    names: dict[tuple[int, int], str] = {}
    for record in lifecycle_records(records):
        if record["ev"] == "hello":
            names[(int(record["pid"]), int(record.get("main_tid") or record["pid"]))] = \
                "MainThread"
        elif record["ev"] == "thread_start" and (tid := record.get("tid")) is not None:
            names[(int(record["pid"]), int(tid))] = str(record.get("name"))
    return names


def describe(deadlock: Deadlock, names: dict[tuple[int, int], str]) -> str:
    """"transfer-ab waits for Lock@bank.py:5 held by transfer-ba, which waits for ..."."""
    def name(tid: int) -> str:
        return names.get((deadlock.pid, tid), f"thread {tid}")

    parts = []
    for index, wait in enumerate(deadlock.waits):
        holder = deadlock.waits[(index + 1) % len(deadlock.waits)].tid
        what = f"{wait.label} to end" if wait.kind == "Thread" else \
            f"{wait.label} held by {name(holder)}"
        parts.append(("" if index == 0 else "which ") + f"waits for {what}")
    return f"{name(deadlock.waits[0].tid)} " + ", ".join(parts)


def stack_text(stack: list[dict[str, object]], limit: int = 6) -> str:
    return " <- ".join(f"{f.get('func')} ({str(f.get('file')).rsplit('/', 1)[-1]}:{f.get('line')})"
                       for f in stack[:limit])


def report_lines(deadlock: Deadlock, names: dict[tuple[int, int], str], process: str) -> list[str]:
    """The stderr printout: the cycle, each thread's stack, where each lock's holder was."""
    lines = [f"concurtrace: deadlock in {process} (pid {deadlock.pid}): "
             f"{describe(deadlock, names)}"]
    for index, wait in enumerate(deadlock.waits):
        who = names.get((deadlock.pid, wait.tid), f"thread {wait.tid}")
        lines.append(f"  {who} (tid {wait.tid}) blocked at {stack_text(wait.stack) or '?'}")
        if wait.kind != "Thread" and wait.holder_stack:
            holder = deadlock.waits[(index + 1) % len(deadlock.waits)].tid
            lines.append(f"    {wait.label} was taken by "
                         f"{names.get((deadlock.pid, holder), holder)}, which was at "
                         f"{stack_text(wait.holder_stack)} when {who} began waiting")
    return lines


CycleKey = frozenset[tuple[int, int, int]]


def cycle_key(deadlock: Deadlock) -> CycleKey:
    """The same cycle seen twice (live, then at the end) has the same waits."""
    return frozenset((w.pid, w.tid, w.start) for w in deadlock.waits)


def deadlock_report(data: SyncData, records: list[RawRecord],
                    skip: frozenset[CycleKey] = frozenset()) -> list[str]:
    """The lines to print on stderr the moment the run ends, one block per deadlock
    (not those in skip: the live detector printed them already)."""
    return [line for deadlock in find_deadlocks(data) if cycle_key(deadlock) not in skip
            for line in deadlock_lines(deadlock, records)]


def deadlock_lines(deadlock: Deadlock, records: list[RawRecord]) -> list[str]:
    names = thread_names(records)
    lifecycle = lifecycle_records(records)
    processes = {int(r["pid"]): str(r.get("name")) for r in lifecycle
                 if r["ev"] == "role" and r.get("name")}
    root = next((int(r["pid"]) for r in lifecycle if r["ev"] == "hello"), None)  # the first
    default = "MainProcess" if deadlock.pid == root else "a process"
    return report_lines(deadlock, names, processes.get(deadlock.pid, default))
