"""Assemble a SampleResult from what a stopped TreeSampler measured: merged runs, GIL
counter, gil_method, notes and stats."""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

from concurtrace.model.sampled import SampleResult, SamplerStats
from concurtrace.model.states import Merged

from .result import gil_counter, merge_thread, resolve_codes
from .syscalls import OTHER
from .tracked import TrackedProcess

if TYPE_CHECKING:
    from .portable import PortableLoop

FIX = (
    "fix: `sudo sysctl kernel.yama.ptrace_scope=1` (or 0), or run concurtrace as the target's user"
)


class Measured(NamedTuple):  # not a dataclass: the sampler is imported at every start
    """What a TreeSampler measured, handed over when it stops."""

    hz: float
    budget: float
    states: bool  # thread states were sampled (not counters only)
    kernel_stacks: bool
    gil_disabled_pids: set[int]
    t0: int
    t_end: int
    cpu_s: float
    samples: int
    ticks: int
    max_threads: int
    lowest_hz: float
    thread_lowest_hz: float  # lowered by the thread budget
    cpu_lowest_hz: float  # lowered by the CPU budget (cpubudget.py)
    cpu_budget_s: float  # how long the CPU budget held the rate down
    cpus: int
    cpu_share: float  # the CPU budget: this much of one core
    notes: list[str]
    opener_notes: list[str]
    procs: dict[int, TrackedProcess]
    portable: PortableLoop | None


def _lowered_note(sampler: Measured, hz_effective: float) -> str:
    """One sentence, its first number the lowest rate (the terminal's sampler line shows
    it too), then what lowered it: the thread budget, the CPU budget, or both."""
    note = f"sampling rate lowered below {sampler.hz:g} Hz, down to {sampler.lowest_hz:.0f} Hz"
    thread = sampler.thread_lowest_hz < sampler.hz
    if thread:
        note += (f", while up to {sampler.max_threads} threads lived (budget "
                 f"{sampler.budget:g} thread-samples/s)")
    if sampler.cpu_lowest_hz < sampler.hz:
        note += (f"{' and' if thread else ','} for {sampler.cpu_budget_s:.1f} s in all while the "
                 f"traced tree kept at least twice as many threads runnable as the "
                 f"{sampler.cpus} CPUs (the sampler then keeps its own CPU under "
                 f"{sampler.cpu_share:.0%} of one core, which it would take from the program)")
    return note + f"; it sampled at {hz_effective:.0f} Hz on average over the run"


def build_result(sampler: Measured) -> SampleResult:
    res = SampleResult(notes=list(sampler.notes))
    end = sampler.t_end or sampler.t0
    wall = round(max(0, end - sampler.t0) / 1e9, 6)
    stats = res.stats = SamplerStats(
        cpu_s=round(sampler.cpu_s, 6), samples=sampler.samples, ticks=sampler.ticks,
        hz_requested=sampler.hz, wall_s=wall, max_threads=sampler.max_threads,
        kernel_stacks=sampler.kernel_stacks,
        hz_effective=round(sampler.ticks / wall, 1) if wall and sampler.states else 0.0)
    if sampler.samples:
        stats.us_per_sample = round(sampler.cpu_s / sampler.samples * 1e6, 2)
    portable = sampler.portable
    if portable is not None:
        res.processes, res.threads = portable.processes, portable.threads
        res.counters = list(portable.series.values())
        return res
    if sampler.lowest_hz < sampler.hz:
        # The summary's sampler line says the same: the average rate, and this lowest one.
        stats.hz_lowest = round(sampler.lowest_hz, 1)
        res.notes.append(_lowered_note(sampler, stats.hz_effective))
    if sampler.cpu_lowest_hz < sampler.hz:
        stats.cpu_budget_s = round(sampler.cpu_budget_s, 3)
    res.notes.extend(sampler.opener_notes)
    fallback: list[str] = []
    sampled = False
    for pid, proc in sampler.procs.items():
        res.processes[pid] = proc.info
        disabled = pid in sampler.gil_disabled_pids
        per_thread: list[Merged] = []
        untraced = 0  # futex waits of a Python without a known _PyRuntime range
        # Only a Python with a GIL has take_gil/drop_gil to be preempted in.
        has_gil = proc.info.python and not disabled and not proc.schedstat_only
        for tid, th in proc.threads.items():
            smp = th.samples
            if len(smp):
                th.info.first_ns, th.info.last_ns = smp.ts[0], smp.ts[-1]
                proc.info.last_ns = max(proc.info.last_ns, smp.ts[-1])
            res.threads[(pid, tid)] = th.info
            if sampler.states:
                codes = resolve_codes(smp, proc.ranges, proc.info.python, disabled)
                untraced += sum(1 for i in smp.futex if codes[i] == OTHER)
                merged = merge_thread(smp, codes, gil=has_gil)
                res.states[(pid, tid)] = merged.runs
                per_thread.append(merged)
                sampled = sampled or len(smp) > 1
        if sampler.states and proc.ticks:
            last = None if proc.alive else proc.info.last_ns
            res.counters.append(gil_counter(pid, proc.ticks, per_thread, sampler.t0, last))
        res.counters.extend(proc.series.values())
        if not sampler.states or not proc.info.python or disabled:
            continue
        if proc.schedstat_only:
            fallback.append(
                f"GIL or untraced wait: pid {pid} is sampled from schedstat only "
                f"({proc.why_schedstat}); its off-CPU time shows as 'other'; {FIX}"
            )
        elif untraced:
            fallback.append(
                f"GIL or untraced wait: pid {pid}: {proc.range_detail}; its futex waits "
                "show as 'other' (GIL and lock waits cannot be told apart); fix: use a "
                "CPython whose libpython or executable exports _PyRuntime in .dynsym"
            )
    res.notes.extend(fallback)
    if not sampler.states:
        res.gil_method = "none"
    elif fallback:
        res.gil_method = "schedstat-only"
    elif sampled:
        res.gil_method = "proc-syscall"
    return res
