"""The sampler's CPU budget while the traced tree keeps at least twice as many threads
runnable as there are CPUs.

Then every CPU is taken and half of the tree's runnable threads wait for one: each ms the
sampler runs is a ms of the program's, so its own CPU comes straight out of the program's
time (pool16: 16 CPU-bound workers on 2 cores; bench/README.md, "--light's cost on
pool16"). While that lasts, the sampler keeps its own CPU under SATURATED_SHARE of one core
by lowering its rate (never below MIN_SCALE of it); once the tree's runnable threads fall
under OVERSUBSCRIBED per CPU it samples at the asked rate again. Below that (three threads
in GIL-releasing C code on two cores: scenarios/gil_release_c.py) the rate is never
lowered, so the GIL and state measures of such programs are as before. What was lowered is
said: the rate reached (hz_effective, hz_lowest), cpu_budget_s and a note.
"""

from __future__ import annotations

import os
import time

WINDOW_NS = 100_000_000  # its CPU share and the tree's runnable threads, over this long
SATURATED_SHARE = 0.02  # of one core
MIN_SCALE = 0.2
OVERSUBSCRIBED = 2  # runnable threads of the tree per CPU, on average over a window
RECOVER = 1.25  # per window under half the share, while still saturated


def usable_cpus() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # not Linux
        return max(1, os.cpu_count() or 1)


class CpuBudget:
    def __init__(self, cpus: int | None = None) -> None:
        self.cpus = cpus if cpus is not None else usable_cpus()
        self.scale = 1.0  # of the rate the thread budget allows
        self.lowered_ns = 0  # how long the scale was below 1
        self._start = 0
        self._cpu = 0.0
        self._runnable = self._ticks = 0

    def tick(self, runnable: int, now: int) -> None:
        """After each sampling round: `runnable`, the tree's threads sampled running (on a
        CPU or queued for one)."""
        self._runnable += runnable
        self._ticks += 1
        elapsed = now - self._start
        if elapsed < WINDOW_NS:
            return
        cpu = time.thread_time()
        if self._start:
            if self.scale < 1.0:
                self.lowered_ns += elapsed
            self._adjust((cpu - self._cpu) / (elapsed / 1e9))
        self._start, self._cpu = now, cpu
        self._runnable = self._ticks = 0

    def _adjust(self, share: float) -> None:
        if self._runnable < OVERSUBSCRIBED * self.cpus * self._ticks:
            self.scale = 1.0
        elif share > SATURATED_SHARE:
            self.scale = max(MIN_SCALE, self.scale * SATURATED_SHARE / share)
        elif share < SATURATED_SHARE / 2:
            self.scale = min(1.0, self.scale * RECOVER)
