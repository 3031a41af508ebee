"""The sampler's raw samples, and the pure post-processing that turns them into a
SampleResult (model/sampled.py)."""

from __future__ import annotations

from array import array
from collections.abc import Sequence
from itertools import repeat

from concurtrace.model.samples import GIL_STATES
from concurtrace.model.series import CounterSeries
from concurtrace.model.states import Merged, merge_with_states
from concurtrace.model.vocabulary import STATE_KEYS

from .syscalls import resolve_futex

GIL_COUNTER = "GIL wait (threads)"
CPU_COUNTER = "CPU %"
RSS_COUNTER = "RSS MB"
THREADS_COUNTER = "threads"
COUNTER_NAMES = (GIL_COUNTER, CPU_COUNTER, RSS_COUNTER, THREADS_COUNTER)
GIL_BIN_NS = 20_000_000


class ThreadSamples:
    """Raw samples of one thread, stored compactly while sampling."""

    __slots__ = ("ts", "code", "on", "rq", "slices", "futex", "exiting")

    def __init__(self) -> None:
        self.ts = array("q")
        self.code = array("b")
        self.on = array("q")
        self.rq = array("q")
        self.slices = array("q")  # schedstat's third field: times switched onto a CPU
        self.futex: dict[int, int] = {}  # sample index -> futex address
        # sample indices whose kernel stack showed preemption at a syscall exit
        self.exiting: set[int] = set()

    def __len__(self) -> int:
        return len(self.ts)


# (since_ns, range or None): the _PyRuntime range in effect from since_ns (exec moves it)
RangeHistory = Sequence[tuple[int, "tuple[int, int] | None"]]


def resolve_codes(
    samples: ThreadSamples, ranges: RangeHistory, python: bool, gil_disabled: bool
) -> list[int]:
    """Final state codes: futex waits become gil, lock or other."""
    codes = list(samples.code)
    for index, uaddr in samples.futex.items():
        ts = samples.ts[index]
        current: tuple[int, int] | None = None
        for since, rng in ranges:
            if since <= ts:
                current = rng
        codes[index] = resolve_futex(uaddr, current, python, gil_disabled)
    return codes


def merge_thread(samples: ThreadSamples, codes: list[int], gil: bool = True) -> Merged:
    """Merge one thread's samples; `gil`: its process is a Python with a GIL, so a
    sample preempted at a syscall exit (samples.exiting) is inside the GIL functions."""
    states = (STATE_KEYS[c] for c in codes)
    exiting = samples.exiting if gil else set()
    flags = (i in exiting for i in range(len(samples))) if exiting else repeat(False, len(samples))
    return merge_with_states(
        zip(samples.ts, states, samples.on, samples.rq, samples.slices, flags, strict=True)
    )


def gil_counter(
    pid: int, ticks: dict[int, int], per_thread: list[Merged], t0: int, end_ns: int | None
) -> CounterSeries:
    """Average number of the process's threads sampled waiting for the GIL, per bin
    (with the same effective states as the state tracks)."""
    gil_bins: dict[int, int] = {}
    for merged in per_thread:
        for sample, state in zip(merged.samples, merged.states, strict=True):
            if state in GIL_STATES:
                b = (sample.ts_ns - t0) // GIL_BIN_NS
                gil_bins[b] = gil_bins.get(b, 0) + 1
    series = CounterSeries(pid, GIL_COUNTER)
    for b in sorted(ticks):
        series.add(t0 + b * GIL_BIN_NS, gil_bins.get(b, 0) / ticks[b])
    if end_ns is not None and series.points and end_ns > series.points[-1][0]:
        series.add(end_ns, 0.0)
    return series
