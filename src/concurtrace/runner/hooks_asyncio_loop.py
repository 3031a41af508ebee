"""The asyncio loops' health counters (issue 17): how late TimerHandles run, and at a loop
iteration's start (hooks_asyncio_run's _run_once hook), once per CHECK_NS across the
process's loops, each loop's "aloop" sample (the ready queue's length, the worst timer lag
since the last) when SAMPLE_NS has passed for it. At the same moments: --light's budget of
awaits to name (state.walks) refilled, and a batch of step rows that grew old written."""

from __future__ import annotations

from typing import Any

from concurtrace.runner.hooks_asyncio_state import BATCH_NS, State, first_start
from concurtrace.runner.hooks_asyncio_steps import loop_number

SAMPLE_NS = 10_000_000  # loop counters: one sample per loop per 10 ms at most
CHECK_NS = 1_000_000  # how often a loop iteration looks whether a loop's sample is due


def timer_lag(state: State, handle: Any, start: int) -> None:
    """How late a TimerHandle runs, for its loop's next counters."""
    try:
        lag = start - int(handle._when * 1e9)
        sample = _sample(state, loop_number(state, handle, start))
        if lag > sample[1]:
            sample[1] = lag
    except Exception:  # noqa: BLE001 - a handle type of the program's we misread
        pass


def _sample(state: State, lp: int) -> list[int]:
    sample = state.loops.get(lp)
    if sample is None:
        sample = state.loops[lp] = [0, 0]
    return sample


def loop_due(state: State, loop: Any, now: int) -> None:
    """At a loop iteration's start once state.next_sample has come: the loop's counters
    (the ready queue's length, the largest timer lag since the last) if its are due."""
    try:
        lp = state.ids.get(id(loop))
        if lp is None:
            lp = state.task_id(loop)[0]
        sample = _sample(state, lp)
        if now - sample[0] >= SAMPLE_NS:
            state.sink.write({"ev": "aloop", "ts": now, "tid": state.thread_id(), "loop": lp,
                              "ready": len(getattr(loop, "_ready", ())), "lag": sample[1]})
            sample[0], sample[1] = now, 0
        # shared by the loops of all threads: each one's counters at most CHECK_NS late
        state.next_sample = min(now + CHECK_NS, sample[0] + SAMPLE_NS)
        state.walks = state.walks_per_ms  # --light: the awaits it may name until then
        flat = state.flat  # Handle._run's hook leaves a batch's age to this
        if flat and now - first_start(flat) >= BATCH_NS:
            state.flush()
    except Exception:  # noqa: BLE001 - a loop type of the program's we misread
        pass
