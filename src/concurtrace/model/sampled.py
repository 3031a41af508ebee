"""What the sampler saw of the tree, as the model takes it: processes and threads seen,
merged state runs, counters, and the sampler's own statistics."""

from __future__ import annotations

from concurtrace.model.plain import Plain
from concurtrace.model.series import CounterSeries, StateRun
from concurtrace.model.vocabulary import GilMethod


class SeenProcess(Plain):
    pid: int
    ppid: int
    name: str
    cmdline: list[str]
    exe: str
    first_ns: int
    last_ns: int
    python: bool

    __slots__ = ("pid", "ppid", "name", "cmdline", "exe", "first_ns", "last_ns", "python")

    def __init__(self, pid: int, ppid: int, name: str, cmdline: list[str], exe: str, first_ns: int,
                 last_ns: int, python: bool) -> None:
        self.pid = pid
        self.ppid = ppid
        self.name = name
        self.cmdline = cmdline
        self.exe = exe
        self.first_ns = first_ns
        self.last_ns = last_ns
        self.python = python


class SeenThread(Plain):
    pid: int
    tid: int
    comm: str
    first_ns: int
    last_ns: int

    __slots__ = ("pid", "tid", "comm", "first_ns", "last_ns")

    def __init__(self, pid: int, tid: int, comm: str, first_ns: int, last_ns: int) -> None:
        self.pid = pid
        self.tid = tid
        self.comm = comm
        self.first_ns = first_ns
        self.last_ns = last_ns


class SamplerStats(Plain):
    """The summary's `sampler` object (docs/summary-schema.md)."""

    cpu_s: float  # the sampler thread's own CPU time
    samples: int  # thread samples taken
    ticks: int  # sampling rounds
    hz_requested: float
    wall_s: float
    max_threads: int
    kernel_stacks: bool
    hz_effective: float
    us_per_sample: float | None  # None: no sample taken
    hz_lowest: float | None  # None: never lowered below hz_requested
    cpu_budget_s: float | None  # how long the CPU budget lowered it (None: never)

    __slots__ = ("cpu_s", "samples", "ticks", "hz_requested", "wall_s", "max_threads",
                 "kernel_stacks", "hz_effective", "us_per_sample", "hz_lowest", "cpu_budget_s")

    def __init__(self, cpu_s: float = 0.0, samples: int = 0, ticks: int = 0,
                 hz_requested: float = 0.0, wall_s: float = 0.0, max_threads: int = 0,
                 kernel_stacks: bool = False, hz_effective: float = 0.0,
                 us_per_sample: float | None = None, hz_lowest: float | None = None,
                 cpu_budget_s: float | None = None) -> None:
        self.cpu_s = cpu_s
        self.samples = samples
        self.ticks = ticks
        self.hz_requested = hz_requested
        self.wall_s = wall_s
        self.max_threads = max_threads
        self.kernel_stacks = kernel_stacks
        self.hz_effective = hz_effective
        self.us_per_sample = us_per_sample
        self.hz_lowest = hz_lowest
        self.cpu_budget_s = cpu_budget_s

    def as_summary(self) -> dict[str, float]:
        out = {"cpu_s": self.cpu_s, "samples": float(self.samples), "ticks": float(self.ticks),
               "hz_requested": self.hz_requested, "wall_s": self.wall_s,
               "max_threads": float(self.max_threads),
               "kernel_stacks": float(self.kernel_stacks), "hz_effective": self.hz_effective}
        if self.us_per_sample is not None:
            out["us_per_sample"] = self.us_per_sample
        if self.hz_lowest is not None:
            out["hz_lowest"] = self.hz_lowest
        if self.cpu_budget_s is not None:
            out["cpu_budget_s"] = self.cpu_budget_s
        return out


class SampleResult(Plain):
    processes: dict[int, SeenProcess]
    threads: dict[tuple[int, int], SeenThread]
    states: dict[tuple[int, int], list[StateRun]]
    counters: list[CounterSeries]
    gil_method: GilMethod
    notes: list[str]
    stats: SamplerStats

    __slots__ = ("processes", "threads", "states", "counters", "gil_method", "notes", "stats")

    def __init__(self, processes: dict[int, SeenProcess] | None = None,
                 threads: dict[tuple[int, int], SeenThread] | None = None,
                 states: dict[tuple[int, int], list[StateRun]] | None = None,
                 counters: list[CounterSeries] | None = None, gil_method: GilMethod = "none",
                 notes: list[str] | None = None, stats: SamplerStats | None = None) -> None:
        self.processes = {} if processes is None else processes
        self.threads = {} if threads is None else threads
        self.states = {} if states is None else states
        self.counters = [] if counters is None else counters
        self.gil_method = gil_method
        self.notes = [] if notes is None else notes
        self.stats = SamplerStats() if stats is None else stats
