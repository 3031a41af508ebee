"""What both exporters share: proper nesting of slices, state slices and the embedded
session payload."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from concurtrace.model.timeline import Slice, StateRun
from concurtrace.model.vocabulary import STATES

SUMMARY_KEY = "concurtrace_summary"
# Debug annotation of a "waiting for GIL" state slice: of it, microseconds queued for a CPU.
QUEUED_ARG = "queued_for_cpu_us"


def state_slice(run: StateRun) -> Slice:
    """A "<thread> state" slice; a GIL run says how much of it was queued for a CPU."""
    args = {QUEUED_ARG: run.queued_ns // 1000} if run.queued_ns >= 1000 else None
    return Slice(ts=run.ts, dur=run.dur, name=STATES[run.state].slice_name, args=args)


def nested(slices: Iterable[Slice]) -> Iterator[tuple[str, int, Slice]]:
    """("begin"|"end", ts, slice) in an order a slice stack accepts.

    Slices must arrive sorted by (ts, -dur). Microsecond floats rounded to ns
    can make a child end a few ns after its parent: the child is clamped.
    """
    stack: list[tuple[int, Slice]] = []
    for piece in slices:
        while stack and stack[-1][0] <= piece.ts:
            end, done = stack.pop()
            yield ("end", end, done)
        end = piece.ts + piece.dur
        if stack and end > stack[-1][0]:
            end = stack[-1][0]
        yield ("begin", piece.ts, piece)
        stack.append((end, piece))
    while stack:
        end, done = stack.pop()
        yield ("end", end, done)
