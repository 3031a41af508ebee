"""Out-of-process sampling of a process tree: thread states (GIL, locks, sleep, I/O)
and per-process counters, from /proc on Linux (psutil counters elsewhere)."""

from .result import COUNTER_NAMES, SampleResult, SeenProcess, SeenThread
from .tree import TreeSampler

__all__ = ["COUNTER_NAMES", "SampleResult", "SeenProcess", "SeenThread", "TreeSampler"]
