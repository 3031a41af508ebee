"""The two bulk steps of the columnar merge, replaceable by a faster implementation.

Converting a chunk's microsecond floats to integer nanoseconds and sorting a thread's
columns by start are ~60 % of the merge's CPU time in the standard library (a Python int
made and read back per call, bench/README.md "Issue 18, third pass"). The runner hands
in an implementation on arrays (runner/numpy_kernels.py) for large dumps; both give the
same columns. Standard library only.
"""

from __future__ import annotations

from array import array
from collections.abc import Sequence
from itertools import repeat
from math import trunc  # int(x) of a float, as a plain function call: 20 % faster in a map
from operator import add, and_, lshift, mul, rshift
from typing import Protocol


class ColumnKernels(Protocol):
    def nanoseconds(self, micros: Sequence[float]) -> array[int]:
        """int(x * 1000) of each x (finite, 0 <= x * 1000 < 2**63), as an array("q")."""

    def by_start(self, ts: array[int], dur: array[int], name_ids: array[int],
                 consume: bool) -> tuple[array[int], array[int], array[int], Sequence[int]]:
        """The columns sorted by ts, stably (equal starts keep their order), and the
        order (new index -> old). consume: ts may be emptied on the way."""


class StdlibKernels:
    def nanoseconds(self, micros: Sequence[float]) -> array[int]:
        return array("q", map(trunc, map(mul, micros, repeat(1000))))

    def by_start(self, ts: array[int], dur: array[int], name_ids: array[int],
                 consume: bool) -> tuple[array[int], array[int], array[int], Sequence[int]]:
        # Sorting ints (start << bits | position) keeps it stable without a key; an int
        # each (~40 bytes) is the peak of the post-run's memory, so nothing else is held
        # as a list.
        count = len(ts)
        bits = count.bit_length()
        packed = list(map(add, map(lshift, ts, repeat(bits)), range(count)))
        if consume:
            del ts[:]  # the starts come back out of packed
        packed.sort()
        order = array("q", map(and_, packed, repeat((1 << bits) - 1)))
        if consume:  # one pass instead of a gather through order
            sorted_ts = array("q", map(rshift, packed, repeat(bits)))
            del packed
        else:
            del packed
            sorted_ts = array("q", map(ts.__getitem__, order))
        return (sorted_ts, array("q", map(dur.__getitem__, order)),
                array("I", map(name_ids.__getitem__, order)), order)


STDLIB = StdlibKernels()
