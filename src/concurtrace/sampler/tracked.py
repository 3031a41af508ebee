"""Per-process and per-thread sampling state kept while the sampler runs."""

from __future__ import annotations

from concurtrace.model.sampled import SeenProcess, SeenThread
from concurtrace.model.series import CounterSeries

from .elfsyms import find_symbol_range
from .result import ThreadSamples


class TrackedThread:
    __slots__ = ("info", "fd_a", "fd_b", "fd_k", "path_a", "path_b", "samples", "alive",
                 "comm_checked")

    def __init__(self, info: SeenThread, path_a: str, path_b: str) -> None:
        self.info = info
        self.path_a = path_a  # syscall (or stat in schedstat-only mode)
        self.path_b = path_b  # schedstat
        self.fd_a = -1
        self.fd_b = -1
        self.fd_k = -1  # kernel stack (kstack.py), when readable
        self.samples = ThreadSamples()
        self.alive = True
        # its comm read again once, a little after it was found: a C thread names itself
        # (libuv's "libuv-worker") just after it starts, as "python", its creator's
        self.comm_checked = False


class TrackedProcess:
    __slots__ = (
        "info",
        "fd_stat",
        "fd_task",
        "threads",
        "live",
        "schedstat_only",
        "why_schedstat",
        "ranges",
        "range_detail",
        "resolve_tries",
        "exec_key",
        "last_cpu",
        "last_check",
        "ticks",
        "series",
        "alive",
        "task_links",
    )

    def __init__(self, info: SeenProcess) -> None:
        self.info = info
        self.task_links = -1  # st_nlink of /proc/P/task: threads + 2, changes on thread churn
        self.fd_stat = -1
        self.fd_task = -1  # /proc/P/task, for its link count (tree.py)
        self.threads: dict[int, TrackedThread] = {}
        self.live: list[TrackedThread] = []
        self.schedstat_only = False
        self.why_schedstat = ""
        self.ranges: list[tuple[int, tuple[int, int] | None]] = []
        self.range_detail = ""
        self.resolve_tries = 0
        self.exec_key: tuple[int, int] | None = None
        self.last_cpu: tuple[int, int] | None = None  # (ts_ns, cpu ticks)
        self.last_check = 0  # when /proc/P/stat was last read
        self.ticks: dict[int, int] = {}  # GIL bin -> sampling ticks
        self.series: dict[str, CounterSeries] = {}
        self.alive = True

    def resolve_gil(self, since: int, after_exec: bool = False) -> None:
        """(Re)locate _PyRuntime, valid for samples from `since` on; called at
        discovery, after an exec, and on retries while a Python has none yet."""
        self.resolve_tries += 1
        rng, python, detail = find_symbol_range(self.info.pid)
        self.info.python = python or (self.info.python and not after_exec)
        self.range_detail = detail
        if self.ranges and self.ranges[-1][1] is None and not after_exec:
            self.ranges[-1] = (self.ranges[-1][0], rng)  # found on a retry: same image
        elif not self.ranges or self.ranges[-1][1] != rng:
            self.ranges.append((since, rng))

    def forked_as(self, child: TrackedProcess) -> bool:
        """Whether child is a fork of this process that has not exec'd since: the same
        executable and the same (startcode, startstack), which an exec sets anew (even
        without ASLR, the stack's start moves with the argv and environment's size)."""
        return (self.alive and self.gil_range is not None and child.info.exe == self.info.exe
                and child.exec_key == self.exec_key and child.exec_key != (0, 0))

    def inherit_gil(self, parent: TrackedProcess, since: int) -> None:
        """A fork child's _PyRuntime is where its parent's is (the same address space,
        copied): no /proc/P/maps read and parse, ~0.5 ms of the sampler's CPU per pool
        worker while the machine is busiest (bench/README.md)."""
        self.resolve_tries += 1
        self.info.python = True
        self.range_detail = parent.range_detail
        self.ranges.append((since, parent.gil_range))

    @property
    def gil_range(self) -> tuple[int, int] | None:
        return self.ranges[-1][1] if self.ranges else None

    def add_point(self, name: str, ts: int, value: float) -> None:
        """Append a counter point, keeping each series in time order."""
        self.series.setdefault(name, CounterSeries(self.info.pid, name)).add(ts, value)
