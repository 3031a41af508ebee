"""One thread's raw samples and the state each finally gets, before merging.

A sample is ``(ts_ns, raw_state, on_cpu_ns, runqueue_ns[, slices[, syscall_exit]])``:
``raw_state`` is a STATE_KEYS key, where "running" means TASK_RUNNING (on a CPU *or*
queued for one: /proc/P/task/T/syscall says "running" for both); the numbers are the
three cumulative fields of /proc/P/task/T/schedstat (-1 if unknown). schedstat's
on-CPU total is updated at a scheduler tick or when the thread leaves the CPU, its
run-queue total when the thread reaches a CPU, and its slice count then too.
``syscall_exit``: the kernel stack showed the thread preempted as it returned from a
syscall (sampler/kstack.py; only given for a Python with a GIL). Standard library only.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from .vocabulary import ACTIVE_STATES, STATE_KEYS

# Correct an interval between two blocked samples only if they are at most this far
# apart: 500 Hz with +-30 % jitter gives 1.4-2.6 ms.
CORRECT_MAX_DT_NS = 3_000_000
# On-CPU + run-queue time below this inside one blocked interval is not split out
# (a GIL waiter wakes every 5 ms for a few microseconds; slivers only add noise).
MIN_ACTIVE_NS = 30_000
# Under this much CPU since a sleep/lock/I/O wait, a queued thread has not run Python
# long enough to be forced out of the GIL (the switch interval is 5 ms by default).
WOKEN_MAX_ON_NS = 1_000_000

# Effective state of a sample known to be queued for a CPU inside take_gil/drop_gil,
# and the segment label of such time: GIL wait that also counts as queued_ns.
QUEUED_GIL = "gil:queued"
GIL_STATES = frozenset({"gil", QUEUED_GIL})
# Not running Python (queued inside the GIL functions included).
BLOCKED_STATES = frozenset(STATE_KEYS) - ACTIVE_STATES | {QUEUED_GIL}
_KNOWN = frozenset(STATE_KEYS)


class Sample(NamedTuple):
    ts_ns: int
    state: str
    on_cpu_ns: int = -1
    runqueue_ns: int = -1
    slices: int = -1  # times switched onto a CPU (schedstat's third field)
    syscall_exit: bool = False  # preempted returning from a syscall (kernel stack)


# What the sampler records per thread sample: Sample's fields, the last two optional.
RawSample = (
    tuple[int, str, int, int]
    | tuple[int, str, int, int, int]
    | tuple[int, str, int, int, int, bool]
)


def known(*values: int) -> bool:
    return min(values) >= 0  # -1 marks an unknown schedstat field


def resolve_running(samples: Sequence[Sample]) -> list[str]:
    """Effective state per sample: of each stretch of consecutive "running" samples,
    those that stay "running" last (each until the next sample) the on-CPU time schedstat
    counted over it, and the rest become "runqueue" (waiting for CPU); the ones that stay
    are those whose window (previous to next sample) ran most. A per-window majority vote
    is blind to a queued thread: its run-queue wait is only counted once it reaches a
    CPU, so a window inside a long wait grew neither total and read as running (16
    CPU-bound workers on 2 CPUs: 8.1 s "running" for 1.2 s of CPU). Unknown states
    become "other"."""
    out: list[str] = [s.state if s.state in _KNOWN else "other" for s in samples]
    last = len(samples) - 1
    i = 0
    while i <= last:
        if samples[i].state != "running":
            i += 1
            continue
        j = i
        while j < last and samples[j + 1].state == "running":
            j += 1
        for k in _queued_in_stretch(samples, i, j):
            out[k] = "runqueue"
        i = j + 1
    return out


def _queued_in_stretch(samples: Sequence[Sample], first: int, end: int) -> list[int]:
    """The samples of the "running" stretch first..end (inclusive) that were queued: the
    others last the on-CPU time schedstat counted from the sample before it to the one
    after (exact when that one is blocked: a thread reaches a CPU before it blocks, which
    settles its totals)."""
    last = len(samples) - 1
    # the nearest samples either side with schedstat read (a fork child's first reads
    # may fail: /proc has not its task yet)
    bracket = [k for k in range(max(first - 1, 0), min(end + 1, last) + 1)
               if known(samples[k].on_cpu_ns, samples[k].runqueue_ns)]
    if len(bracket) < 2:
        return []
    lo, hi = samples[bracket[0]], samples[bracket[-1]]
    on_cpu = max(0, hi.on_cpu_ns - lo.on_cpu_ns)
    queued = max(0, hi.runqueue_ns - lo.runqueue_ns)
    if on_cpu + queued == 0:  # nothing counted yet (a stretch at the very start)
        return []
    # Each sample's state lasts until the next sample: the time, not the count, of the
    # stretch's running samples is the on-CPU time (the sampler's rate varies: its CPU
    # budget, its own waits for a CPU on a busy machine), at most the stretch's time.
    def lasts(k: int) -> int:
        return samples[k + 1].ts_ns - samples[k].ts_ns if k < last else 0

    target = min(sum(lasts(k) for k in range(first, end + 1)), on_cpu)

    def ran(k: int) -> int:  # on-CPU minus counted run-queue time over k's own window
        before, after = samples[max(k - 1, 0)], samples[min(k + 1, last)]
        if not known(before.on_cpu_ns, before.runqueue_ns, after.on_cpu_ns,
                     after.runqueue_ns):
            return 0
        return (after.on_cpu_ns - before.on_cpu_ns) - (after.runqueue_ns - before.runqueue_ns)

    queued_ones: list[int] = []
    kept = 0
    for k in sorted(range(first, end + 1), key=lambda k: (-ran(k), k)):
        if not lasts(k):  # the thread's last sample: no time, its own window says
            if ran(k) <= 0:
                queued_ones.append(k)
        elif kept + lasts(k) / 2 <= target:  # keeping it brings the kept time nearer
            kept += lasts(k)
        else:
            queued_ones.append(k)
    return sorted(queued_ones)


def gil_inside(
    samples: Sequence[Sample], states: Sequence[str], napped: list[bool] | None = None
) -> list[str]:
    """Relabel as GIL wait the active samples of a thread inside take_gil or drop_gil.

    /proc says "running" for a thread that is on a CPU *or* queued for one, so a GIL
    waiter woken by the hand-off (or its 5 ms timed wait) but not yet on a CPU looks
    active. Where the kernel stack was read, a sample preempted at a syscall exit is
    QUEUED_GIL: a thread holding the GIL makes hardly any syscall but the futex wakes
    of the GIL functions, so it was preempted in them (typically in drop_gil by the
    thread its hand-off woke). Two exact tells from schedstat:
    - after a GIL sample, with only active samples between: not switched onto a CPU
      since (same slice count), so it has not left take_gil;
    - before a GIL sample, with only active samples between: under MIN_ACTIVE_NS on a
      CPU until it, so it ran no Python: it was queued on its way from drop_gil (woken
      by the next holder) back into take_gil. schedstat's on-CPU total is only settled
      when a thread leaves the CPU, which the GIL sample guarantees.
    """
    if napped is None:
        napped = [False] * len(samples)
    out = [
        QUEUED_GIL if s.syscall_exit and state in ACTIVE_STATES else state
        for s, state in zip(samples, states, strict=True)
    ]
    states = list(out)
    after: Sample | None = None
    for i, sample in enumerate(samples):
        if states[i] in BLOCKED_STATES:
            after = sample if states[i] in GIL_STATES else None
        elif after is not None and after.slices >= 0 and sample.slices == after.slices:
            out[i] = "gil"
        else:
            after = None
    for i, (queued, woken) in enumerate(
        zip(queued_into_gil(samples, states), woken_outside(samples, states), strict=True)
    ):
        if queued and not woken:
            out[i] = "gil"
        elif queued:
            napped[i] = True
    return out


def queued_into_gil(samples: Sequence[Sample], states: Sequence[str]) -> list[bool]:
    """Per sample: active, and only active samples and under MIN_ACTIVE_NS on a CPU
    from it to the next sample, a GIL sample (the backward tell of gil_inside)."""
    out = [False] * len(samples)
    before: Sample | None = None
    for i in range(len(samples) - 1, -1, -1):
        sample = samples[i]
        if states[i] in BLOCKED_STATES:
            before = sample if states[i] in GIL_STATES else None
        elif (
            before is not None
            and known(before.on_cpu_ns, sample.on_cpu_ns)
            and before.on_cpu_ns - sample.on_cpu_ns < MIN_ACTIVE_NS
        ):
            out[i] = True
        else:
            before = None
    return out


def woken_outside(samples: Sequence[Sample], states: Sequence[str]) -> list[bool]:
    """Per active sample: woken from a wait outside the GIL functions and queued on its
    way into take_gil, not yet inside it (so waiting for a CPU, not for the GIL). Since
    the last blocked sample the thread spent under WOKEN_MAX_ON_NS on a CPU (too little
    to be forced out of the GIL: the switch interval is 5 ms by default), and either
    - that sample was not GIL wait (a sleep, a lock, I/O), or
    - it was, but the thread reached a CPU at least twice since: it took the GIL, ran a
      little and blocked elsewhere, a nap shorter than the sample interval (a GIL waiter
      wakes only at the hand-off or its 5 ms timed wait: at most once in 3 ms, as the
      uprobe truth shows, bench/README.md)."""
    out = [False] * len(samples)
    last: Sample | None = None
    elsewhere = False  # the last blocked sample was not GIL wait
    for i, sample in enumerate(samples):
        if states[i] in BLOCKED_STATES:
            last, elsewhere = sample, states[i] not in GIL_STATES
        elif last is not None and known(last.on_cpu_ns, sample.on_cpu_ns):
            brief = sample.on_cpu_ns - last.on_cpu_ns < WOKEN_MAX_ON_NS
            napped = known(last.slices, sample.slices) and sample.slices - last.slices >= 2
            out[i] = brief and (elsewhere or napped)
    return out


def nap_states(samples: Sequence[Sample], states: Sequence[str]) -> list[str]:
    """Per sample: the last blocked state other than GIL wait seen at or before it
    ("other" before any): the best guess for a nap the samples did not see."""
    out: list[str] = []
    nap = "other"
    for state in states:
        if state in BLOCKED_STATES and state not in GIL_STATES:
            nap = state
        out.append(nap)
    return out
