"""The two bulk steps of the columnar merge, replaceable by a faster implementation.

Converting a chunk's microsecond floats to integer nanoseconds and sorting a thread's
columns by start are ~60 % of the merge's CPU time in the standard library (a Python int
made and read back per call, bench/README.md "Issue 18, third pass"). The runner hands
in an implementation on arrays (runner/numpy_kernels.py) for large dumps; both give the
same columns. Standard library only.
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Sequence
from itertools import repeat
from math import trunc  # int(x) of a float, as a plain function call: 20 % faster in a map
from operator import add, and_, lshift, mul, rshift
from typing import Protocol, cast


class ColumnKernels(Protocol):
    def times(self, ts_us: Sequence[float | None], dur_us: Sequence[float | None],
              bound_ns: int) -> tuple[array[int], array[int]] | None:
        """int(x * 1000) of each start and duration, as arrays("q"); None when one is
        missing, negative or not finite, or a call ends (ts + dur) * 1000 >= bound_ns."""

    def by_start(self, ts: array[int], dur: array[int], name_ids: array[int],
                 consume: bool) -> tuple[array[int], array[int], array[int], Sequence[int]]:
        """The columns sorted by ts, stably (equal starts keep their order), and the
        order (new index -> old). consume: the given columns may be emptied on the way."""


class StdlibKernels:
    def times(self, ts_us: Sequence[float | None], dur_us: Sequence[float | None],
              bound_ns: int) -> tuple[array[int], array[int]] | None:
        if None in ts_us or None in dur_us:
            return None
        floats = cast(Sequence[float], ts_us), cast(Sequence[float], dur_us)
        # int(x * 1000) is monotonic, so the bounds of the floats bound the ints.
        if min(floats[0]) < 0 or min(floats[1]) < 0 or not math.isfinite(max(floats[0])) \
                or not math.isfinite(max(floats[1])) \
                or max(map(add, *floats)) * 1000 >= bound_ns:
            return None
        return (array("q", map(trunc, map(mul, floats[0], repeat(1000)))),
                array("q", map(trunc, map(mul, floats[1], repeat(1000)))))

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
