"""Overlaps of one interval with many disjoint ones, by bisection (a lock storm has tens
of thousands of contended holds: comparing each with every wait and state run was
quadratic, 24 s of post-run for 4 threads x 200k acquisitions)."""

from __future__ import annotations

import bisect
from collections.abc import Iterator
from typing import Generic, TypeVar

V = TypeVar("V")

OPEN = 1 << 62  # the end of an interval still open when its process stopped


class Disjoint(Generic[V]):
    """Intervals that do not overlap one another (one thread's waits, its state runs),
    each with a value; overlapping(start, end) yields (overlap, value) of those it meets."""

    def __init__(self, items: list[tuple[int, int, V]]) -> None:
        items = sorted(items, key=lambda item: item[0])
        self.starts = [start for start, _end, _value in items]
        # disjoint and sorted by start, so sorted by end too (a running maximum makes a
        # touching or zero-length neighbour harmless)
        self.ends: list[int] = []
        top = -OPEN
        for _start, end, _value in items:
            top = max(top, end)
            self.ends.append(top)
        self.items = items

    def overlapping(self, start: int, end: int) -> Iterator[tuple[int, V]]:
        index = bisect.bisect_right(self.ends, start)
        while index < len(self.items) and self.starts[index] < end:
            first, last, value = self.items[index]
            overlap = min(end, last) - max(start, first)
            if overlap > 0:
                yield overlap, value
            index += 1
