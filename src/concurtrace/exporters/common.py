"""What both exporters share: proper nesting of slices and the embedded session payload."""

from __future__ import annotations

from collections.abc import Iterator

from concurtrace.model.timeline import Slice

SUMMARY_KEY = "concurtrace_summary"


def nested(slices: list[Slice]) -> Iterator[tuple[str, int, Slice]]:
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
