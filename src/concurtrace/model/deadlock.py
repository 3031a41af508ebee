"""The wait-for graph at the end of a run, and its cycles: deadlocks.

An edge T -> H exists only while T is still blocked: in a lock acquire whose lock H
holds (H took it, or was seen holding it, after its last recorded release), or in a
join() of H. A thread that runs, sleeps, or waits on a queue, event or condition has
no edge, so no cycle goes through it: a waiter that a live producer will wake is no
deadlock, nor is a wait with a timeout (it ends by itself). A thread waiting for a
plain Lock it took itself is not reported (another thread may release a Lock). Each
thread waits on one thing at a time, so every node has at most one edge and the cycles
are found by following them. Nodes are (pid, tid): a multiprocessing lock (or a Manager
Lock) held by a thread of another process makes an edge across processes, so a cycle
through several processes is found the same way.
"""

from __future__ import annotations

from typing import TypeVar

from concurtrace.model.deadlock_mp import process_edges
from concurtrace.model.plain import Plain
from concurtrace.model.records import RawRecord, lifecycle_records
from concurtrace.model.sync import LOCK_KINDS, SyncData, Wait
from concurtrace.model.sync_mp import FLUSH, PROCESS_JOINS, SHARED_LOCK_KINDS


class Deadlock(Plain):
    pid: int  # the first waiter's process (a cycle across processes: see processes())
    waits: list[Wait]  # waits[i] is blocked on something held by waits[i + 1]'s thread

    __slots__ = ("pid", "waits")

    def __init__(self, pid: int, waits: list[Wait]) -> None:
        self.pid = pid
        self.waits = waits

    def processes(self) -> list[int]:
        return sorted({w.pid for w in self.waits})


K = TypeVar("K")
V = TypeVar("V")
Node = tuple[int, int]  # (pid, tid): a cycle may go through threads of several processes


def find_deadlocks(data: SyncData) -> list[Deadlock]:
    edges: dict[Node, tuple[Node, Wait]] = {}
    holders = holders_at_end(data)
    shared = _shared_holders_at_end(data)
    for wait in data.waits:
        if wait.end is not None or (wait.pid, wait.tid) in data.thread_exits \
                or wait.timeout_s is not None:  # it ends by itself
            continue
        holder: Node | None = None
        if wait.shared is not None and wait.kind in SHARED_LOCK_KINDS:
            holder = shared.get(wait.shared)
        elif wait.kind in LOCK_KINDS:
            tid = holders.get((wait.pid, wait.obj))
            holder = (wait.pid, tid) if tid is not None else None
        elif wait.kind == "Thread" and wait.target is not None \
                and (wait.pid, wait.target) not in data.thread_exits:
            holder = (wait.pid, wait.target)
        if holder is not None and holder != (wait.pid, wait.tid) \
                and holder not in data.thread_exits:
            edges[(wait.pid, wait.tid)] = (holder, wait)
    for waiter, edge in process_edges(data).items():
        edges.setdefault(waiter, edge)
    found: list[Deadlock] = []
    seen: set[Node] = set()
    for start in sorted(edges):
        path: list[Node] = []
        node: Node | None = start
        while node is not None and node in edges and node not in seen and node not in path:
            path.append(node)
            node = edges[node][0]
        if node is not None and node in path:
            cycle = path[path.index(node):]
            found.append(Deadlock(cycle[0][0], [edges[n][1] for n in cycle]))
        seen.update(path)
    return found


def holders_at_end(data: SyncData) -> dict[tuple[int, int], int]:
    """(pid, obj) -> the thread holding the lock when its process stopped, if known."""
    events: list[tuple[int, int, tuple[int, int], int | None]] = []
    for wait in data.waits:
        if wait.kind in LOCK_KINDS and wait.shared is None:
            if wait.holder:
                events.append((wait.holder_since or wait.start, 0, (wait.pid, wait.obj),
                               wait.holder))
            if wait.end is not None and wait.outcome == "acquired":
                events.append((wait.end, 1, (wait.pid, wait.obj), wait.tid))
    for hold in data.holds:
        if hold.end is not None and hold.shared is None:
            events.append((hold.end, 2, (hold.pid, hold.obj), None))
    return _replay(events)


def _shared_holders_at_end(data: SyncData) -> dict[str, Node]:
    """identity -> (pid, tid) holding a lock shared across processes at the end."""
    events: list[tuple[int, int, str, Node | None]] = []
    for wait in data.waits:
        if wait.shared is None or wait.kind not in SHARED_LOCK_KINDS:
            continue
        if wait.holder and wait.holder_pid:
            events.append((wait.holder_since or wait.start, 0, wait.shared,
                           (wait.holder_pid, wait.holder)))
        if wait.end is not None and wait.outcome == "acquired":
            events.append((wait.end, 1, wait.shared, (wait.pid, wait.tid)))
    for hold in data.holds:
        if hold.end is not None and hold.shared is not None:
            events.append((hold.end, 2, hold.shared, None))
    return _replay(events)


def _replay(events: list[tuple[int, int, K, V | None]]) -> dict[K, V]:
    """Who holds each lock once events (ts, order at equal ts, lock, new holder or None
    for a release) have been played in time order."""
    holders: dict[K, V] = {}
    for _ts, _order, key, holder in sorted(events, key=lambda e: (e[0], e[1])):
        if holder is None:
            holders.pop(key, None)
        else:
            holders[key] = holder
    return holders


class KnownThreads:
    """pid -> the threads the hooks saw start and not end, fed record by record (the live
    detector's tail of the life files, build_sync's pass over a session). A process's
    "finalize" is not an end of its threads: it may be a signal's, they lived until then."""

    def __init__(self) -> None:
        self.alive: dict[int, set[int]] = {}
        self._exits: dict[Node, int] = {}  # when each ended

    def note(self, record: RawRecord) -> None:
        ev, pid, tid = record.get("ev"), int(record.get("pid") or 0), record.get("tid")
        if ev == "hello":
            self.alive.setdefault(pid, set()).add(int(record.get("main_tid") or pid))
        elif ev == "thread_start" and isinstance(tid, int):
            # Thread.start writes it once the thread runs: a short thread's exit may come
            # first. A later thread may have the same tid: compare the times.
            if self._exits.get((pid, tid), -1) < int(record.get("start_ts") or record["ts"]):
                self.alive.setdefault(pid, set()).add(tid)
        elif ev == "thread_exit" and isinstance(tid, int):
            self.alive.get(pid, set()).discard(tid)
            self._exits[(pid, tid)] = int(record["ts"])


def thread_names(records: list[RawRecord]) -> dict[tuple[int, int], str]:
    names: dict[tuple[int, int], str] = {}
    for record in lifecycle_records(records):
        if record["ev"] == "hello":
            names[(int(record["pid"]), int(record.get("main_tid") or record["pid"]))] = \
                "MainThread"
        elif record["ev"] == "thread_start" and (tid := record.get("tid")) is not None:
            names[(int(record["pid"]), int(tid))] = str(record.get("name"))
    return names


def describe(deadlock: Deadlock, names: dict[tuple[int, int], str],
             processes: dict[int, str] | None = None) -> str:
    """"transfer-ab waits for Lock@bank.py:5 held by transfer-ba, which waits for ...";
    across processes each thread is named with its process ("MainThread in Process-1")."""
    several = len(deadlock.processes()) > 1

    def name(pid: int, tid: int) -> str:
        who = names.get((pid, tid), f"thread {tid}")
        if not several:
            return who
        return f"{who} in {(processes or {}).get(pid) or f'pid {pid}'}"

    parts = []
    for index, wait in enumerate(deadlock.waits):
        holder = deadlock.waits[(index + 1) % len(deadlock.waits)]
        if wait.kind == "Thread" or wait.kind in PROCESS_JOINS:
            what = f"{wait.label} to end"
        elif wait.kind.endswith(FLUSH):
            what = f"{name(holder.pid, holder.tid)} to read {wait.label}"
        else:
            what = f"{wait.label} held by {name(holder.pid, holder.tid)}"
        parts.append(("" if index == 0 else "which ") + f"waits for {what}")
    first = deadlock.waits[0]
    return f"{name(first.pid, first.tid)} " + ", ".join(parts)


def stack_text(stack: list[dict[str, object]], limit: int = 6) -> str:
    return " <- ".join(f"{f.get('func')} ({str(f.get('file')).rsplit('/', 1)[-1]}:{f.get('line')})"
                       for f in stack[:limit])


def report_lines(deadlock: Deadlock, names: dict[tuple[int, int], str], process: str,
                 processes: dict[int, str] | None = None) -> list[str]:
    """The stderr printout: the cycle, each thread's stack, where each lock's holder was."""
    pids = deadlock.processes()
    where = f"{process} (pid {deadlock.pid})" if len(pids) == 1 else "processes " + ", ".join(
        f"{(processes or {}).get(pid) or 'a process'} (pid {pid})" for pid in pids)
    lines = [f"concurtrace: deadlock in {where}: {describe(deadlock, names, processes)}"]
    for index, wait in enumerate(deadlock.waits):
        who = names.get((wait.pid, wait.tid), f"thread {wait.tid}")
        if len(pids) > 1:
            who += f" in {(processes or {}).get(wait.pid) or f'pid {wait.pid}'}"
        lines.append(f"  {who} (tid {wait.tid}) blocked at {stack_text(wait.stack) or '?'}")
        if wait.kind != "Thread" and wait.holder_stack:
            holder = deadlock.waits[(index + 1) % len(deadlock.waits)]
            lines.append(f"    {wait.label} was taken by "
                         f"{names.get((holder.pid, holder.tid), holder.tid)}, which was at "
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
    processes = process_names(records)
    return report_lines(deadlock, thread_names(records),
                        processes.get(deadlock.pid, "a process"), processes)


def process_names(records: list[RawRecord]) -> dict[int, str]:
    """pid -> its role's name ("Process-1", "SyncManager-1"); the root is MainProcess."""
    lifecycle = lifecycle_records(records)
    processes = {int(r["pid"]): str(r.get("name")) for r in lifecycle
                 if r["ev"] == "role" and r.get("name")}
    root = next((int(r["pid"]) for r in lifecycle if r["ev"] == "hello"), None)  # the first
    if root is not None:
        processes.setdefault(root, "MainProcess")
    return processes
