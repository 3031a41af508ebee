"""Settle the blocked time around a thread's active bursts from exact schedstat totals.

At a sample where the thread is blocked (off a CPU and not queued for one), schedstat's
on-CPU and run-queue totals are settled: the kernel updated them when the thread left
the CPU. Between two such samples the time the thread was active is therefore exact,
d_on + d_runqueue, and so is the time it was blocked: the span minus that. Splitting
interval by interval instead uses the on-CPU total at the "running" samples between,
which the kernel updates only at a scheduler tick (1-10 ms apart), so each edge of a
burst is off by up to a tick, one early and one late. A thread that alternates GIL
wait and 5 ms of running Python has hundreds of such edges.

settled_edges rescales the blocked parts of a burst's first and last interval so they
add up to the exact total, in the ratio the per-interval split gave them. Blocked time
the samples did not see inside the burst (shorter than a sample interval) lands on the
edges too, where before it was taken for running. Standard library only.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from .samples import BLOCKED_STATES, QUEUED_GIL, Sample, known
from .vocabulary import ACTIVE_STATES

# Blocked for sure at the sample, so its schedstat totals are settled (a thread queued
# inside the GIL functions is runnable: its run-queue total is not).
SETTLED_STATES = BLOCKED_STATES - {QUEUED_GIL}

Segments = list[tuple[str, int]]


def settled_edges(
    samples: Sequence[Sample], states: Sequence[str], segments_of: Callable[[int], Segments]
) -> dict[int, Segments]:
    """Interval index -> its segments, for the first and last interval of every burst
    whose ends are settled (segments_of(i) splits samples[i]..samples[i + 1])."""
    edges: dict[int, Segments] = {}
    last = len(samples) - 1
    i = 0
    while i < last - 1:
        if states[i] not in SETTLED_STATES or states[i + 1] not in ACTIVE_STATES:
            i += 1
            continue
        j = i + 1
        while j < last and states[j] in ACTIVE_STATES:
            j += 1
        a, b = samples[i], samples[j]
        if states[j] in SETTLED_STATES and known(
            a.on_cpu_ns, a.runqueue_ns, b.on_cpu_ns, b.runqueue_ns
        ):
            active = (b.on_cpu_ns - a.on_cpu_ns) + (b.runqueue_ns - a.runqueue_ns)
            blocked = max(0, b.ts_ns - a.ts_ns - active)
            first, final = segments_of(i), segments_of(j - 1)
            b1 = sum(d for label, d in first if label == states[i])
            b2 = sum(d for label, d in final if label == states[j])
            if b1 + b2:
                want = blocked * b1 // (b1 + b2)
            else:
                dt1, dt2 = samples[i + 1].ts_ns - a.ts_ns, b.ts_ns - samples[j - 1].ts_ns
                want = blocked * dt1 // (dt1 + dt2)
            edges[i], got = _with_blocked(first, states[i], want, at_start=True)
            edges[j - 1], _ = _with_blocked(final, states[j], blocked - got, at_start=False)
        i = j
    return edges


def _with_blocked(
    segs: Segments, label: str, blocked: int, at_start: bool
) -> tuple[Segments, int]:
    """The interval's segments with `blocked` ns of `label` at its blocked end (as far
    as it fits), its queued parts kept, the rest running."""
    dt = sum(d for _, d in segs)
    queued = [(lab, d) for lab, d in segs if lab not in (label, "running")]
    room = dt - sum(d for _, d in queued)
    blocked = max(0, min(blocked, room))
    running = [("running", room - blocked)]
    if at_start:
        return [(label, blocked), *queued, *running], blocked
    return [*running, *queued, (label, blocked)], blocked
