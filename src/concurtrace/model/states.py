"""Pure merging of per-thread state samples into non-overlapping StateRuns.

Input: one thread's samples (model/samples.py), whose "running" samples merging
splits into on a CPU and queued for one from schedstat.

Output runs tile the sampled lifetime exactly: from the first sample to the last,
without gaps or overlaps. Between two samples taken close together (<= 3 ms apart,
i.e. sampling at about 500 Hz or more) of which at least one is blocked, the
schedstat correction of docs/timeline.md applies: min(dt, d_on_cpu + d_runqueue) goes to
runqueue/running, the rest to the blocked state(s). Otherwise the gap between two
samples of different states is split at the midpoint. Then each active burst between
two blocked samples gets its exact blocked total (spans.py). Standard library only.

GIL wait is the time inside take_gil/drop_gil (what the uprobe ground truth of
bench/README.md measures), so run-queue wait there is GIL wait too: queued after a GIL
wait (woken by the hand-off or the 5 ms timed wait, not yet on a CPU) or just before
one (woken in drop_gil by the next holder, queued on the way back into take_gil), or
preempted in them (a kernel stack read as root says so); see samples.gil_inside. All
other run-queue wait is "runqueue" (waiting for CPU).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

from .samples import (
    BLOCKED_STATES,
    CORRECT_MAX_DT_NS,
    GIL_STATES,
    MIN_ACTIVE_NS,
    QUEUED_GIL,
    RawSample,
    Sample,
    gil_inside,
    known,
    nap_states,
    resolve_running,
)
from .series import StateRun
from .spans import settled_edges
from .vocabulary import StateKey, state_key


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
        and known(a.on_cpu_ns, a.runqueue_ns, b.on_cpu_ns, b.runqueue_ns)
    ):
        active, rq, rest = _active_split(a, b, dt)
        # Queued right after a wake-up inside take_gil: still waiting for the GIL.
        woken = QUEUED_GIL if a_state in GIL_STATES else "runqueue"
        if blocked_a and blocked_b and active >= min_active_ns:
            first = rest // 2
            return [
                (a_state, first),
                (woken, rq),
                ("running", active - rq),
                (b_state, rest - first),
            ]
        # A blocked/active edge: the thread was active for exactly d_on + d_rq of it, not
        # half. A sample landing on a brief wake-up (a GIL waiter's 5 ms timed wait, a
        # timer shared with the sampler's own) no longer claims half an interval each side.
        if blocked_a and not blocked_b:
            return [(a_state, rest), (woken, rq), ("running", active - rq)]
        if blocked_b and not blocked_a:
            if b_state in GIL_STATES:
                # Ran, dropped the GIL, then queued in drop_gil (woken by the next
                # holder) on the way back into take_gil: that wait is GIL wait.
                return [("running", active - rq), (QUEUED_GIL, rq), (b_state, rest)]
            return [("runqueue", rq), ("running", active - rq), (b_state, rest)]
    if a_state == b_state:
        return [(a_state, dt)]
    half = dt // 2
    return [(a_state, half), (b_state, dt - half)]


def _active_split(a: Sample, b: Sample, dt: int) -> tuple[int, int, int]:
    """The schedstat correction between two samples dt apart: (active, of it queued for a
    CPU, the rest: blocked). Active is what schedstat says the thread spent on a CPU or
    queued for one in between, at most dt; its queued part in proportion."""
    d_on = max(0, b.on_cpu_ns - a.on_cpu_ns)
    d_rq = max(0, b.runqueue_ns - a.runqueue_ns)
    active = min(dt, d_on + d_rq)
    rq = active * d_rq // (d_on + d_rq) if d_on + d_rq else 0
    return active, rq, dt - active


def napped_segments(a: Sample, b: Sample, a_state: str, nap: str) -> list[tuple[str, int]]:
    """A GIL sample, then an active sample of a thread woken from a nap in between
    (samples.woken_outside): it took the GIL, ran a little, napped and is now queued
    on its way back, outside the GIL functions. The blocked time is GIL wait then the
    nap, in an unknown ratio: split in half (a bounded error, at most half of it), the
    nap in the thread's last seen non-GIL state; its run-queue time is "runqueue"."""
    dt = b.ts_ns - a.ts_ns
    if dt <= 0 or dt > CORRECT_MAX_DT_NS or not known(
        a.on_cpu_ns, a.runqueue_ns, b.on_cpu_ns, b.runqueue_ns
    ):
        return []
    active, rq, rest = _active_split(a, b, dt)
    return [(a_state, rest // 2), ("running", active - rq), (nap, rest - rest // 2),
            ("runqueue", rq)]


def runs_from_segments(start_ns: int, segments: Iterable[tuple[str, int]]) -> list[StateRun]:
    """Lay ordered segments end to end from start_ns, merging equal neighbours
    (QUEUED_GIL segments are "gil" time that also counts as queued_ns)."""
    runs: list[StateRun] = []
    cursor = start_ns
    for label, dur in segments:
        if dur <= 0:
            continue
        state: StateKey = "gil" if label == QUEUED_GIL else state_key(label)
        queued = dur if label == QUEUED_GIL else 0
        if runs and runs[-1].state == state:
            runs[-1].dur += dur
            runs[-1].queued_ns += queued
        else:
            runs.append(StateRun(cursor, dur, state, queued))
        cursor += dur
    return runs


class Merged(NamedTuple):
    samples: list[Sample]  # sorted, repeated timestamps dropped
    states: list[str]  # effective state per sample (running resolved, GIL relabelled)
    runs: list[StateRun]


def merge_with_states(
    samples: Iterable[RawSample],
    correct: bool = True,
    max_correct_dt_ns: int = CORRECT_MAX_DT_NS,
    min_active_ns: int = MIN_ACTIVE_NS,
) -> Merged:
    """Merge one thread's samples into runs covering first..last sample exactly, and
    say which state each sample was finally given.

    Samples are sorted by time; samples with a repeated timestamp are dropped."""
    ordered: list[Sample] = []
    for raw in sorted(samples, key=lambda s: s[0]):
        if ordered and raw[0] <= ordered[-1].ts_ns:
            continue
        ordered.append(Sample(*raw))
    # napped: woken from a nap the samples missed, queued on the way back into take_gil
    napped = [False] * len(ordered)
    states = gil_inside(ordered, resolve_running(ordered), napped)
    if len(ordered) < 2:
        return Merged(ordered, states, [])

    naps = nap_states(ordered, states)

    def segments_of(i: int) -> list[tuple[str, int]]:
        if correct and napped[i + 1] and states[i] in GIL_STATES:
            nap = napped_segments(ordered[i], ordered[i + 1], states[i], naps[i])
            if nap:
                return nap
        return interval_segments(
            ordered[i],
            ordered[i + 1],
            states[i],
            states[i + 1],
            correct,
            max_correct_dt_ns,
            min_active_ns,
        )

    edges = settled_edges(ordered, states, segments_of) if correct else {}
    segments: list[tuple[str, int]] = []
    for i in range(len(ordered) - 1):
        segments.extend(edges.get(i) or segments_of(i))
    return Merged(ordered, states, runs_from_segments(ordered[0].ts_ns, segments))


def merge_samples(
    samples: Iterable[RawSample],
    correct: bool = True,
    max_correct_dt_ns: int = CORRECT_MAX_DT_NS,
    min_active_ns: int = MIN_ACTIVE_NS,
) -> list[StateRun]:
    """The runs of merge_with_states."""
    return merge_with_states(samples, correct, max_correct_dt_ns, min_active_ns).runs
