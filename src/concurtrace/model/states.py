"""Pure merging of per-thread state samples into non-overlapping StateRuns.

Input: one thread's samples, each ``(ts_ns, raw_state, on_cpu_ns, runqueue_ns)``.
``raw_state`` is a STATE_KEYS key; "running" there means TASK_RUNNING (on a CPU
*or* runnable on a run queue: /proc/P/task/T/syscall says "running" for both), and
merging decides which of the two from schedstat. ``on_cpu_ns`` / ``runqueue_ns``
are the cumulative first two fields of /proc/P/task/T/schedstat, -1 if unknown.

Output runs tile the sampled lifetime exactly: from the first sample to the last,
without gaps or overlaps. Between two samples taken close together (<= 3 ms apart,
i.e. sampling at about 500 Hz or more) of which at least one is blocked, the
schedstat correction of DESIGN.md applies: min(dt, d_on_cpu + d_runqueue) goes to
runqueue/running, the rest to the blocked state(s). Otherwise the gap between two
samples of different states is split at the midpoint. Standard library only.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import NamedTuple

from .timeline import STATE_KEYS, StateRun

# Correct an interval between two blocked samples only if they are at most this far
# apart: 500 Hz with +-30 % jitter gives 1.4-2.6 ms.
CORRECT_MAX_DT_NS = 3_000_000
# On-CPU + run-queue time below this inside one blocked interval is not split out
# (a GIL waiter wakes every 5 ms for a few microseconds; slivers only add noise).
MIN_ACTIVE_NS = 30_000

ACTIVE_STATES = frozenset({"running", "runqueue"})
BLOCKED_STATES = frozenset(STATE_KEYS) - ACTIVE_STATES
_KNOWN = frozenset(STATE_KEYS)


class Sample(NamedTuple):
    ts_ns: int
    state: str
    on_cpu_ns: int = -1
    runqueue_ns: int = -1


def _known(*values: int) -> bool:
    return all(v >= 0 for v in values)


def resolve_running(samples: Sequence[Sample]) -> list[str]:
    """Effective state per sample: a "running" sample becomes "runqueue" when, over
    the window from the previous to the next sample, run-queue wait grew more than
    on-CPU time. Unknown states become "other"."""
    out: list[str] = []
    last = len(samples) - 1
    for i, sample in enumerate(samples):
        state = sample.state
        if state == "running":
            lo = samples[i - 1] if i > 0 else sample
            hi = samples[i + 1] if i < last else sample
            if _known(lo.on_cpu_ns, lo.runqueue_ns, hi.on_cpu_ns, hi.runqueue_ns):
                d_on = hi.on_cpu_ns - lo.on_cpu_ns
                d_rq = hi.runqueue_ns - lo.runqueue_ns
                if d_rq > d_on:
                    state = "runqueue"
        elif state not in _KNOWN:
            state = "other"
        out.append(state)
    return out


def interval_segments(
    a: Sample,
    b: Sample,
    a_state: str,
    b_state: str,
    correct: bool = True,
    max_correct_dt_ns: int = CORRECT_MAX_DT_NS,
    min_active_ns: int = MIN_ACTIVE_NS,
) -> list[tuple[str, int]]:
    """Split the time between samples a and b into ordered (state, ns) segments."""
    dt = b.ts_ns - a.ts_ns
    if dt <= 0:
        return []
    blocked_a, blocked_b = a_state in BLOCKED_STATES, b_state in BLOCKED_STATES
    if (
        correct
        and (blocked_a or blocked_b)
        and dt <= max_correct_dt_ns
        and _known(a.on_cpu_ns, a.runqueue_ns, b.on_cpu_ns, b.runqueue_ns)
    ):
        d_on = max(0, b.on_cpu_ns - a.on_cpu_ns)
        d_rq = max(0, b.runqueue_ns - a.runqueue_ns)
        active = min(dt, d_on + d_rq)
        rq = active * d_rq // (d_on + d_rq) if active else 0
        rest = dt - active
        if blocked_a and blocked_b and active >= min_active_ns:
            first = rest // 2
            return [
                (a_state, first),
                ("runqueue", rq),
                ("running", active - rq),
                (b_state, rest - first),
            ]
        # A blocked/active edge: the thread was active for exactly d_on + d_rq of it, not
        # half. A sample landing on a brief wake-up (a GIL waiter's 5 ms timed wait, a
        # timer shared with the sampler's own) no longer claims half an interval each side.
        if blocked_a and not blocked_b:
            return [(a_state, rest), ("runqueue", rq), ("running", active - rq)]
        if blocked_b and not blocked_a:
            return [("runqueue", rq), ("running", active - rq), (b_state, rest)]
    if a_state == b_state:
        return [(a_state, dt)]
    half = dt // 2
    return [(a_state, half), (b_state, dt - half)]


def runs_from_segments(start_ns: int, segments: Iterable[tuple[str, int]]) -> list[StateRun]:
    """Lay ordered segments end to end from start_ns, merging equal neighbours."""
    runs: list[StateRun] = []
    cursor = start_ns
    for state, dur in segments:
        if dur <= 0:
            continue
        if runs and runs[-1].state == state:
            runs[-1].dur += dur
        else:
            runs.append(StateRun(cursor, dur, state))
        cursor += dur
    return runs


def merge_samples(
    samples: Iterable[tuple[int, str, int, int]],
    correct: bool = True,
    max_correct_dt_ns: int = CORRECT_MAX_DT_NS,
    min_active_ns: int = MIN_ACTIVE_NS,
) -> list[StateRun]:
    """Merge one thread's samples into runs covering first..last sample exactly.

    Samples are sorted by time; samples with a repeated timestamp are dropped."""
    ordered: list[Sample] = []
    for raw in sorted(samples, key=lambda s: s[0]):
        if ordered and raw[0] <= ordered[-1].ts_ns:
            continue
        ordered.append(Sample(*raw))
    if len(ordered) < 2:
        return []
    states = resolve_running(ordered)
    segments: list[tuple[str, int]] = []
    for i in range(len(ordered) - 1):
        segments.extend(
            interval_segments(
                ordered[i],
                ordered[i + 1],
                states[i],
                states[i + 1],
                correct,
                max_correct_dt_ns,
                min_active_ns,
            )
        )
    return runs_from_segments(ordered[0].ts_ns, segments)


def state_totals(runs: Iterable[StateRun]) -> dict[str, int]:
    """Nanoseconds per STATE_KEYS key (all keys present)."""
    totals = dict.fromkeys(STATE_KEYS, 0)
    for run in runs:
        totals[run.state] = totals.get(run.state, 0) + run.dur
    return totals


def state_shares(runs: Sequence[StateRun]) -> dict[str, float]:
    """Fraction of the covered time per state (0.0 everywhere for no runs)."""
    totals = state_totals(runs)
    whole = sum(totals.values())
    return {k: (v / whole if whole else 0.0) for k, v in totals.items()}
