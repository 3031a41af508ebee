"""Out-of-process sampling of a process tree: thread states (GIL, locks, sleep, I/O)
and per-process counters, from /proc on Linux (psutil counters elsewhere)."""

from concurtrace.model.sampled import SampleResult, SamplerStats, SeenProcess, SeenThread

from .result import COUNTER_NAMES
from .tree import TreeSampler

__all__ = ["COUNTER_NAMES", "SampleResult", "SamplerStats", "SeenProcess", "SeenThread",
           "TreeSampler"]
