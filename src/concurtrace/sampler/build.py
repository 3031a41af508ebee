"""Assemble a SampleResult from a stopped TreeSampler: merged runs, GIL counter,
gil_method, notes and stats."""

from __future__ import annotations

from typing import TYPE_CHECKING

from concurtrace.model.states import Merged

from .result import SampleResult, gil_counter, merge_thread, resolve_codes
from .syscalls import OTHER

if TYPE_CHECKING:
    from .tree import TreeSampler

FIX = (
    "fix: `sudo sysctl kernel.yama.ptrace_scope=1` (or 0), or run concurtrace as the target's user"
)


def build_result(sampler: TreeSampler) -> SampleResult:
    res = SampleResult(notes=list(sampler._notes))
    end = sampler._t_end or sampler._t0
    res.stats = {
        "cpu_s": round(sampler._cpu_s, 6),
        "samples": float(sampler._samples),
        "ticks": float(sampler._ticks),
        "hz_requested": sampler.hz,
        "wall_s": round(max(0, end - sampler._t0) / 1e9, 6),
        "max_threads": float(sampler._max_threads),
        "kernel_stacks": float(sampler.kernel_stacks),
    }
    wall = res.stats["wall_s"]
    res.stats["hz_effective"] = round(sampler._ticks / wall, 1) if wall and sampler.states else 0.0
    if sampler._samples:
        res.stats["us_per_sample"] = round(sampler._cpu_s / sampler._samples * 1e6, 2)
    portable = sampler._portable
    if portable is not None:
        from .portable import PortableLoop

        assert isinstance(portable, PortableLoop)
        res.processes, res.threads = portable.processes, portable.threads
        res.counters = list(portable.series.values())
        return res
    if sampler._lowest_hz < sampler.hz:
        # The summary's sampler line says the same: the average rate, and this lowest one.
        res.stats["hz_lowest"] = round(sampler._lowest_hz, 1)
        res.notes.append(
            f"sampling rate lowered below {sampler.hz:g} Hz, down to "
            f"{sampler._lowest_hz:.0f} Hz, while up to {sampler._max_threads} threads lived "
            f"(budget {sampler.budget:g} thread-samples/s); it sampled at "
            f"{res.stats['hz_effective']:.0f} Hz on average over the run"
        )
    res.notes.extend(sampler._opener.notes)
    fallback: list[str] = []
    sampled = False
    for pid, proc in sampler._tracker.procs.items():
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
            res.counters.append(gil_counter(pid, proc.ticks, per_thread, sampler._t0, last))
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
