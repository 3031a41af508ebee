"""The sync data of a run: each blocking wait, each contended hold, the lock counts
(model/sync.py builds them from the records, and re-exports these)."""

from __future__ import annotations

from typing import Any

from concurtrace.model.plain import Plain
from concurtrace.model.units import SYNC_THRESHOLD_NS


class Wait(Plain):
    pid: int
    tid: int
    obj: int
    kind: str
    label: str
    start: int
    end: int | None  # None: still waiting when the process stopped
    outcome: str | None
    holder: int | None  # locks: who held it when the wait began
    holder_since: int | None
    target: int | None  # joins: the thread waited for
    futures: int | None  # concurrent.futures wait()/as_completed(): how many
    parties: int | None  # barriers: how many threads it waits for
    releaser: int | None  # the thread whose release/put/set/notify/exit ended it
    released_ns: int | None
    released_op: str | None  # the signal that ended it (release, arrive, complete ...)
    stack: list[dict[str, Any]]
    holder_stack: list[dict[str, Any]]
    timeout_s: float | None  # the wait gives up after this (None: never, or unknown)
    shared: str | None  # an object shared across processes: its identity (sync_mp)
    holder_pid: int | None  # shared objects: the holder's and releaser's processes
    releaser_pid: int | None
    server_pid: int | None  # a Manager proxy's server process
    target_pid: int | None  # a multiprocessing Process.join: the child waited for
    waited_for: tuple[int, ...]  # the wait at exit: the non-daemon threads (sync_exit)
    via: str | None  # a process pool's future: the call its ending signal named
    ready: tuple[str, ...]  # connection.wait: the Pipe ends that were ready at its end
    ready_pids: tuple[int, ...]  # and the children whose sentinels were
    initial: int | None  # semaphores: the value it was made with (0: a signal)
    # a lock taken inside a threading/queue object's method (sync_inner): that object
    outer: int | None
    outer_kind: str | None
    outer_call: str | None
    outer_label: str | None
    inner_label: str | None  # such a wait credited to its object: the lock's label

    __slots__ = ("pid", "tid", "obj", "kind", "label", "start", "end", "outcome", "holder",
                 "holder_since", "target", "futures", "parties", "releaser", "released_ns",
                 "released_op", "stack", "holder_stack", "timeout_s", "shared", "holder_pid",
                 "releaser_pid", "server_pid", "target_pid", "waited_for", "via", "ready",
                 "ready_pids", "initial", "outer", "outer_kind", "outer_call", "outer_label",
                 "inner_label")

    def __init__(self, pid: int, tid: int, obj: int, kind: str, label: str, start: int,
                 end: int | None = None, outcome: str | None = None, holder: int | None = None,
                 holder_since: int | None = None, target: int | None = None,
                 futures: int | None = None, parties: int | None = None,
                 releaser: int | None = None, released_ns: int | None = None,
                 released_op: str | None = None, stack: list[dict[str, Any]] | None = None,
                 holder_stack: list[dict[str, Any]] | None = None, timeout_s: float | None = None,
                 shared: str | None = None, holder_pid: int | None = None,
                 releaser_pid: int | None = None, server_pid: int | None = None,
                 target_pid: int | None = None, waited_for: tuple[int, ...] = (),
                 via: str | None = None, ready: tuple[str, ...] = (),
                 ready_pids: tuple[int, ...] = (), initial: int | None = None,
                 outer: int | None = None, outer_kind: str | None = None,
                 outer_call: str | None = None, outer_label: str | None = None,
                 inner_label: str | None = None) -> None:
        self.pid = pid
        self.tid = tid
        self.obj = obj
        self.kind = kind
        self.label = label
        self.start = start
        self.end = end
        self.outcome = outcome
        self.holder = holder
        self.holder_since = holder_since
        self.target = target
        self.futures = futures
        self.parties = parties
        self.releaser = releaser
        self.released_ns = released_ns
        self.released_op = released_op
        self.stack = [] if stack is None else stack
        self.holder_stack = [] if holder_stack is None else holder_stack
        self.timeout_s = timeout_s
        self.shared = shared
        self.holder_pid = holder_pid
        self.releaser_pid = releaser_pid
        self.server_pid = server_pid
        self.target_pid = target_pid
        self.waited_for = waited_for
        self.via = via
        self.ready = ready
        self.ready_pids = ready_pids
        self.initial = initial
        self.outer = outer
        self.outer_kind = outer_kind
        self.outer_call = outer_call
        self.outer_label = outer_label
        self.inner_label = inner_label


class Hold(Plain):
    """A contended hold of a lock: from its acquire to the release a waiter waited for."""

    pid: int
    tid: int
    obj: int
    kind: str
    label: str
    start: int
    end: int | None  # None: still held when the process stopped
    waiters: int
    shared: str | None  # a lock shared across processes (sync_mp)

    __slots__ = ("pid", "tid", "obj", "kind", "label", "start", "end", "waiters", "shared")

    def __init__(self, pid: int, tid: int, obj: int, kind: str, label: str, start: int,
                 end: int | None, waiters: int = 0, shared: str | None = None) -> None:
        self.pid = pid
        self.tid = tid
        self.obj = obj
        self.kind = kind
        self.label = label
        self.start = start
        self.end = end
        self.waiters = waiters
        self.shared = shared


class LockCounts(Plain):
    """A lock contended at least once: its totals ("lock_counts", runner/hooks_sync_counts),
    short waits included: a storm of sub-threshold waits writes no wait."""

    pid: int
    obj: int
    kind: str
    label: str
    acquires: int
    contended: int
    contended_ns: int

    __slots__ = ("pid", "obj", "kind", "label", "acquires", "contended", "contended_ns")

    def __init__(self, pid: int, obj: int, kind: str, label: str, acquires: int, contended: int,
                 contended_ns: int) -> None:
        self.pid = pid
        self.obj = obj
        self.kind = kind
        self.label = label
        self.acquires = acquires
        self.contended = contended
        self.contended_ns = contended_ns


class SyncData(Plain):
    enabled: bool  # --no-sync turns the hooks off
    threshold_ns: int  # shorter waits are not kept
    recorded: bool  # any process wrote sync records
    waits: list[Wait]
    holds: list[Hold]
    thread_exits: dict[tuple[int, int], int]
    # the main thread waiting at interpreter exit for the non-daemon threads (sync_exit):
    # not an object's wait, so in no object row, finding or cycle
    exit_waits: list[Wait]
    counts: dict[tuple[int, int], LockCounts]  # (pid, obj)
    # pid -> the threads the hooks saw start and not end (deadlock.KnownThreads; stall.py)
    alive: dict[int, set[int]]

    __slots__ = ("enabled", "threshold_ns", "recorded", "waits", "holds", "thread_exits",
                 "exit_waits", "counts", "alive")

    def __init__(self, enabled: bool = True, threshold_ns: int = SYNC_THRESHOLD_NS,
                 recorded: bool = False, waits: list[Wait] | None = None,
                 holds: list[Hold] | None = None,
                 thread_exits: dict[tuple[int, int], int] | None = None,
                 exit_waits: list[Wait] | None = None,
                 counts: dict[tuple[int, int], LockCounts] | None = None,
                 alive: dict[int, set[int]] | None = None) -> None:
        self.enabled = enabled
        self.threshold_ns = threshold_ns
        self.recorded = recorded
        self.waits = [] if waits is None else waits
        self.holds = [] if holds is None else holds
        self.thread_exits = {} if thread_exits is None else thread_exits
        self.exit_waits = [] if exit_waits is None else exit_waits
        self.counts = {} if counts is None else counts
        self.alive = {} if alive is None else alive
