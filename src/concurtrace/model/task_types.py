"""The asyncio data of a run: its tasks and their steps, the loop's slow callbacks (blocks),
the executor jobs submitted from coroutines (model/tasks.py builds them from the records,
and re-exports these)."""

from __future__ import annotations

from concurtrace.model.plain import Plain
from concurtrace.model.records import RawRecord
from concurtrace.model.units import ASYNCIO_SLOW_NS


class Step(Plain):
    start: int
    end: int
    awaits: str | None  # what the task waited for after this step
    at: str | None  # the program's await line
    awaits_task: int | None

    __slots__ = ("start", "end", "awaits", "at", "awaits_task")

    def __init__(self, start: int, end: int, awaits: str | None = None, at: str | None = None,
                 awaits_task: int | None = None) -> None:
        self.start = start
        self.end = end
        self.awaits = awaits
        self.at = at
        self.awaits_task = awaits_task


class Task(Plain):
    pid: int
    number: int
    loop: int
    tid: int
    name: str
    coro: str
    created_ns: int | None
    site: str | None
    by: int | None  # the creating task's number
    by_callback: str | None  # or the loop's callback that created it
    root: bool  # the main coroutine of asyncio.run / run_until_complete
    eager: bool
    steps: list[Step]
    ended_ns: int | None
    outcome: str | None  # None: still pending when its process stopped
    exc: str | None
    message: str | None
    error_at: str | None
    unretrieved: bool

    __slots__ = ("pid", "number", "loop", "tid", "name", "coro", "created_ns", "site", "by",
                 "by_callback", "root", "eager", "steps", "ended_ns", "outcome", "exc", "message",
                 "error_at", "unretrieved")

    def __init__(self, pid: int, number: int, loop: int, tid: int, name: str, coro: str,
                 created_ns: int | None = None, site: str | None = None, by: int | None = None,
                 by_callback: str | None = None, root: bool = False, eager: bool = False,
                 steps: list[Step] | None = None, ended_ns: int | None = None,
                 outcome: str | None = None, exc: str | None = None, message: str | None = None,
                 error_at: str | None = None, unretrieved: bool = False) -> None:
        self.pid = pid
        self.number = number
        self.loop = loop
        self.tid = tid
        self.name = name
        self.coro = coro
        self.created_ns = created_ns
        self.site = site
        self.by = by
        self.by_callback = by_callback
        self.root = root
        self.eager = eager
        self.steps = [] if steps is None else steps
        self.ended_ns = ended_ns
        self.outcome = outcome
        self.exc = exc
        self.message = message
        self.error_at = error_at
        self.unretrieved = unretrieved

    def label(self) -> str:
        return f"{self.name} ({self.coro.split(' (')[0]})"


class Block(Plain):
    """A step or callback that kept the loop from running anything else."""

    pid: int
    tid: int
    loop: int
    start: int
    end: int
    what: str  # the coroutine or callback
    task: int | None

    __slots__ = ("pid", "tid", "loop", "start", "end", "what", "task")

    def __init__(self, pid: int, tid: int, loop: int, start: int, end: int, what: str,
                 task: int | None = None) -> None:
        self.pid = pid
        self.tid = tid
        self.loop = loop
        self.start = start
        self.end = end
        self.what = what
        self.task = task


class Job(Plain):
    """A call handed to an executor by loop.run_in_executor (or asyncio.to_thread)."""

    pid: int
    number: int
    loop: int
    tid: int  # the loop's thread
    submitted_ns: int
    kind: str  # to_thread | run_in_executor
    fn: str
    site: str | None
    pool: str  # threads, or the executor's class (a process pool: no worker record)
    task: int | None  # the submitting task's number
    worker_tid: int | None
    start: int | None  # the call on the worker thread
    end: int | None

    __slots__ = ("pid", "number", "loop", "tid", "submitted_ns", "kind", "fn", "site", "pool",
                 "task", "worker_tid", "start", "end")

    def __init__(self, pid: int, number: int, loop: int, tid: int, submitted_ns: int, kind: str,
                 fn: str, site: str | None, pool: str, task: int | None = None,
                 worker_tid: int | None = None, start: int | None = None,
                 end: int | None = None) -> None:
        self.pid = pid
        self.number = number
        self.loop = loop
        self.tid = tid
        self.submitted_ns = submitted_ns
        self.kind = kind
        self.fn = fn
        self.site = site
        self.pool = pool
        self.task = task
        self.worker_tid = worker_tid
        self.start = start
        self.end = end


class AsyncioData(Plain):
    enabled: bool
    slow_ns: int
    tasks: dict[tuple[int, int], Task]
    blocks: list[Block]
    # (pid, loop) -> [(ts, ready, lag ns)]
    samples: dict[tuple[int, int], list[tuple[int, int, int]]]
    loop_threads: dict[tuple[int, int], int]
    hidden: set[tuple[int, int]]  # asyncio's own tasks
    jobs: dict[tuple[int, int], Job]
    never_awaited: list[RawRecord]  # "anever" records
    # (pid, woken task) -> [(ts, waking task or None: a plain callback, its call)]: who
    # completed the future it awaited on an asyncio Lock/Event/Condition/Semaphore/Queue
    wakes: dict[tuple[int, int], list[tuple[int, int | None, str]]]

    __slots__ = ("enabled", "slow_ns", "tasks", "blocks", "samples", "loop_threads", "hidden",
                 "jobs", "never_awaited", "wakes")

    def __init__(self, enabled: bool = True, slow_ns: int = ASYNCIO_SLOW_NS,
                 tasks: dict[tuple[int, int], Task] | None = None,
                 blocks: list[Block] | None = None,
                 samples: dict[tuple[int, int], list[tuple[int, int, int]]] | None = None,
                 loop_threads: dict[tuple[int, int], int] | None = None,
                 hidden: set[tuple[int, int]] | None = None,
                 jobs: dict[tuple[int, int], Job] | None = None,
                 never_awaited: list[RawRecord] | None = None) -> None:
        self.enabled = enabled
        self.slow_ns = slow_ns
        self.tasks = {} if tasks is None else tasks
        self.blocks = [] if blocks is None else blocks
        self.samples = {} if samples is None else samples
        self.loop_threads = {} if loop_threads is None else loop_threads
        self.hidden = set() if hidden is None else hidden
        self.jobs = {} if jobs is None else jobs
        self.never_awaited = [] if never_awaited is None else never_awaited
        self.wakes = {}
