"""A process whose every thread is blocked for good, with no cycle among them: a stall.

The wait-for graph (model/deadlock.py) has edges for lock acquires and joins only, so
a consumer blocked in Queue.get() while holding the lock its producer waits for makes
no cycle, though nothing in the process can ever run again. A stall is that fact:
every thread of the process is in a wait that has no timeout, on an object of this
process only (threading's, queue's, concurrent.futures'), so no other thread of it is
left to release, put, set or notify, and no other process can. What can still wake
it: a signal handler (Ctrl-C's KeyboardInterrupt among them), a thread started from C
that the hooks never saw (the caller checks the OS's own thread count where it can).
A program that idles on purpose until a signal (`stop.wait()` with a SIGTERM handler)
is one too, which is why a stall is its own finding ("stalled"), never a deadlock.
"""

from __future__ import annotations

from typing import Any

from concurtrace.model.deadlock import Node, holders_at_end, process_names, stack_text, thread_names
from concurtrace.model.plain import Plain
from concurtrace.model.records import RawRecord
from concurtrace.model.sync import ENDED_BY, LOCK_KINDS, SyncData, Wait
from concurtrace.model.sync_exit import EXIT_KIND, waited_for_text
from concurtrace.model.sync_mp import SHARED_ENDED_BY
from concurtrace.model.timeline import Finding, Timeline
from concurtrace.model.units import short_duration

# waits that only a thread of the same process can end (a multiprocessing object's, a
# Manager proxy's or a Pipe's may be ended by another process)
LOCAL_KINDS = frozenset({*ENDED_BY, "Thread", EXIT_KIND} - set(SHARED_ENDED_BY))


WHAT = {"Queue.get": "an item from {}", "SimpleQueue.get": "an item from {}",
        "Queue.put": "room in {}", "Event": "{} to be set", "Condition": "a notify of {}"}


class Stall(Plain):
    pid: int
    waits: list[Wait]  # one per thread of the process, the oldest wait first
    holders: dict[Node, Node]  # lock waiter -> holder
    since: int  # from when every thread was blocked: its youngest wait's start, or
    # the last exit of another thread of the process, if later

    __slots__ = ("pid", "waits", "holders", "since")

    def __init__(self, pid: int, waits: list[Wait], holders: dict[Node, Node] | None = None,
                 since: int = 0) -> None:
        self.pid = pid
        self.waits = waits
        self.holders = {} if holders is None else holders
        self.since = since


def find_stalls(data: SyncData, skip: frozenset[int] = frozenset()) -> list[Stall]:
    """Processes (not in skip: those with a deadlock cycle, which says more) whose every
    alive thread is in an open, timeout-less wait on one of the process's own objects."""
    blocked: dict[Node, Wait] = {}
    for wait in [*data.waits, *data.exit_waits]:
        if wait.end is None and wait.timeout_s is None and wait.shared is None \
                and wait.kind in LOCAL_KINDS and wait.server_pid is None:
            node = (wait.pid, wait.tid)
            if node not in blocked or blocked[node].start < wait.start:
                blocked[node] = wait  # its latest: one wait at a time per thread
    holders = holders_at_end(data)
    stalls: list[Stall] = []
    for pid, tids in sorted(data.alive.items()):
        if not tids:
            continue
        if pid in skip or not all((pid, tid) in blocked for tid in tids):
            continue
        waits = sorted((blocked[(pid, tid)] for tid in tids), key=lambda w: w.start)
        exits = [ts for (p, _tid), ts in data.thread_exits.items() if p == pid]
        stall = Stall(pid, waits, since=max([w.start for w in waits] + exits))
        for wait in waits:
            holder = holders.get((pid, wait.obj)) if wait.kind in LOCK_KINDS else None
            if holder is not None:
                stall.holders[(pid, wait.tid)] = (pid, holder)
        stalls.append(stall)
    return stalls


def describe_stall(stall: Stall, names: dict[Node, str]) -> str:
    """"consumer waits for Queue@q.py:2 (q); producer waits for Lock@q.py:3 (lock) held
    by consumer; MainThread waits for Thread consumer to end"."""
    parts = []
    for wait in stall.waits:
        who = names.get((wait.pid, wait.tid), f"thread {wait.tid}")
        holder = stall.holders.get((wait.pid, wait.tid))
        if wait.kind == EXIT_KIND:
            ended = [names.get((wait.pid, t), f"thread {t}") for t in wait.waited_for]
            parts.append(f"{who} waits at exit for {waited_for_text(ended)} to end")
            continue
        if wait.kind == "Thread":
            what = f"{wait.label} to end"
        elif holder is not None:
            what = f"{wait.label} held by {names.get(holder, f'thread {holder[1]}')}"
        else:
            what = WHAT.get(wait.kind, "{}").format(wait.label)
        parts.append(f"{who} waits for {what}")
    return "; ".join(parts)


def stall_advice(stall: Stall) -> str:
    kinds = {w.kind.split(".")[0] for w in stall.waits}
    if kinds & {"Queue", "SimpleQueue"}:
        return ("No thread is left to put what the getters wait for: put one sentinel per "
                "consumer when the work is done (or get with a timeout), and never wait on "
                "a queue while holding a lock its producer needs.")
    if kinds & {"Event", "Condition", "Semaphore", "BoundedSemaphore", "Barrier"}:
        return ("No thread is left to set, notify or release what the others wait for: make "
                "sure the thread that should wake them cannot itself block first, or wait "
                "with a timeout.")
    return "No thread of the process can run again: wait with timeouts to find which."


def stall_lines(stall: Stall, records: list[RawRecord]) -> list[str]:
    """The stderr printout: what each thread waits for, and where."""
    names = thread_names(records)
    process = process_names(records).get(stall.pid, "a process")
    lines = [f"concurtrace: every thread of {process} (pid {stall.pid}) is blocked, and none "
             f"of them can wake another: {describe_stall(stall, names)}"]
    for wait in stall.waits:
        who = names.get((wait.pid, wait.tid), f"thread {wait.tid}")
        where = "the interpreter's exit (its main module returned)" \
            if wait.kind == EXIT_KIND else stack_text(wait.stack) or "?"
        lines.append(f"  {who} (tid {wait.tid}) blocked at {where}")
    return lines


STALL_MIN_NS = 1_000_000_000  # the summary's: blocked together at least this long


def stall_summary(data: SyncData, timeline: Timeline, deadlocked: frozenset[int],
                  names: dict[Node, str]) -> tuple[list[Finding], list[dict[str, Any]]]:
    """The "stalled" findings and the summary's sync "stalls": each process whose
    threads were all blocked for good at least STALL_MIN_NS before it (or the run) ended,
    where the sampler saw no other thread of it alive then (one started from C)."""
    findings: list[Finding] = []
    rows: list[dict[str, Any]] = []
    for stall in find_stalls(data, deadlocked):
        proc = timeline.processes.get(stall.pid)
        end = (proc.ended_ns if proc is not None else None) or timeline.ended_ns
        tids = {w.tid for w in stall.waits}
        unknown = proc is not None and any(
            t.tid not in tids and (t.ended_ns is None or t.ended_ns > stall.since + 1_000_000)
            for t in proc.threads.values())
        if unknown or end - stall.since < STALL_MIN_NS:
            continue
        where = proc.name if proc is not None else f"pid {stall.pid}"
        findings.append(Finding(
            "stalled", stall.pid, None,  # the whole process's
            f"Every thread of {where} was blocked for the last {short_duration(end - stall.since)}"
            f", and none of them could wake another: {describe_stall(stall, names)}. Only a "
            "signal's handler could have woken it (these objects are this process's own).",
            stall_advice(stall), 4))
        rows.append({"pid": stall.pid, "process": where, "since_ns": stall.since,
                     "blocked_ns": end - stall.since, "threads": [
                         {"tid": w.tid, "thread": names.get((w.pid, w.tid)), "kind": w.kind,
                          "waits_for": w.label, "stack": w.stack,
                          "held_by": (stall.holders.get((w.pid, w.tid)) or (None, None))[1]}
                         for w in stall.waits]})
    return findings, rows
