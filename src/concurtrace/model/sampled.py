"""What the sampler saw of the tree, as the model takes it: processes and threads seen,
merged state runs, counters, and the sampler's own statistics."""

from __future__ import annotations

from dataclasses import dataclass, field

from concurtrace.model.series import CounterSeries, StateRun
from concurtrace.model.vocabulary import GilMethod


@dataclass
class SeenProcess:
    pid: int
    ppid: int
    name: str
    cmdline: list[str]
    exe: str
    first_ns: int
    last_ns: int
    python: bool


@dataclass
class SeenThread:
    pid: int
    tid: int
    comm: str
    first_ns: int
    last_ns: int


@dataclass
class SamplerStats:
    """The summary's `sampler` object (docs/summary-schema.md)."""

    cpu_s: float = 0.0  # the sampler thread's own CPU time
    samples: int = 0  # thread samples taken
    ticks: int = 0  # sampling rounds
    hz_requested: float = 0.0
    wall_s: float = 0.0
    max_threads: int = 0
    kernel_stacks: bool = False
    hz_effective: float = 0.0
    us_per_sample: float | None = None  # None: no sample taken
    hz_lowest: float | None = None  # None: never lowered below hz_requested
    cpu_budget_s: float | None = None  # how long the CPU budget lowered it (None: never)

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


@dataclass
class SampleResult:
    processes: dict[int, SeenProcess] = field(default_factory=dict)
    threads: dict[tuple[int, int], SeenThread] = field(default_factory=dict)
    states: dict[tuple[int, int], list[StateRun]] = field(default_factory=dict)
    counters: list[CounterSeries] = field(default_factory=list)
    gil_method: GilMethod = "none"
    notes: list[str] = field(default_factory=list)
    stats: SamplerStats = field(default_factory=SamplerStats)
