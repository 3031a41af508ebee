"""VizTracer's plain calls read straight from the dump's bytes into columns (numpy).

msgspec makes a struct and a name string per call, and the merge then reads them back
one attribute at a time: ~1 s of CPU per million calls. VizTracer's C dump writes every
plain call the same way (`{"pid":P,"tid":T,"ts":I.FFF,"ph":"X","cat":"fee","dur":I.FFF,
"name":"..."}`, snaptrace.c's tracer_dump), so a run of such events is scanned at once:
each event's start is a "{", every fixed byte between the numbers is compared as 8-byte
words, the numbers are parsed 8 digits at a time (SWAR), and names are told apart by
their bytes (runner/vizscan_names.py). Anything else in a piece (metadata, arguments,
an escaped character, a digit out of place) gives None, and the caller decodes that
piece with msgspec as before: never a guess.

The times are the msgspec path's: its float of "I.FFF" is the correctly rounded N / 1000
(N = IFFF, exact below 2**53, checked), and int(float * 1000) is taken the same way.
"""

from __future__ import annotations

import re
from array import array
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from concurtrace.runner.vizscan_names import LOW_BYTES, distinct_names

if TYPE_CHECKING:
    from concurtrace.model.traces import DecodedEvents

U64 = np.uint64
PAD = 8  # bytes after a piece that a word load may read (masked off)
PREFIX = re.compile(rb'\{"pid":(0|[1-9][0-9]*),"tid":')
_KEEP = np.array([(~0 << (8 * k)) & (2**64 - 1) for k in range(8)] + [0], dtype=U64)
_ZEROS, _NIBBLE, _SIX = U64(0x3030303030303030), U64(0xF0F0F0F0F0F0F0F0), U64(0x0606060606060606)
_ONES, _HIGHS = U64(0x0101010101010101), U64(0x8080808080808080)
EXACT_BELOW = 2**53


def _word(text: bytes) -> Any:
    return np.frombuffer(text.ljust(8, b"\0"), "<u8")[0]


TS, PH, NAME = _word(b',"ts":'), [_word(b',"ph":"X'), _word(b'","cat":'), _word(b'"fee","d'),
                                  _word(b'ur":')], _word(b',"name":')
NEXT, LAST = _word(b'"},{'), _word(b'"}')


class ScannedCalls:
    """One piece of plain calls as columns (model/traces.CallColumns)."""

    def __init__(self, names: list[str], tids: list[int], pieces: list[tuple[Any, Any, Any]],
                 end_us: float, events: Callable[[], DecodedEvents]) -> None:
        self.names, self.end_us, self._events = names, end_us, events
        self._tids, self._pieces = tids, pieces

    def threads(self, ids: Sequence[int]) -> list[tuple[int, array[int], array[int], array[int]]]:
        table = np.array(ids, dtype=np.uint32)
        out = []
        for tid, (ts, dur, index) in zip(self._tids, self._pieces, strict=True):
            columns = array("q"), array("q"), array("I")
            for column, values in zip(columns, (ts, dur, table[index]), strict=True):
                column.frombytes(values.data.cast("B"))
            out.append((tid, *columns))
        return out

    def events(self) -> DecodedEvents:
        return self._events()


def scan(data: bytes | bytearray, start: int, stop: int,
         events: Callable[[], DecodedEvents]) -> ScannedCalls | None:
    """data[start:stop]: whole events joined by ","; PAD bytes after it must be readable
    (their values do not matter). None unless every event is a plain call in VizTracer's
    exact layout. events: the piece decoded one by one (the merge's fallback for calls
    that end after the stop). Nothing returned refers to data."""
    try:
        return _scan(data, start, stop, events)
    except IndexError:  # a word past the end: not the layout (the checks fail or this)
        return None


def _scan(data: bytes | bytearray, start: int, stop: int,
          events: Callable[[], DecodedEvents]) -> ScannedCalls | None:
    size = stop - start
    prefix = PREFIX.match(data, start)
    if prefix is None or data.find(b"\\", start, stop) >= 0 or len(data) < stop + PAD:
        return None
    prefix_len = prefix.end() - start
    u = np.frombuffer(data, np.uint8, size, start)
    starts = np.flatnonzero(u == 0x7B)  # "{": one per event (a name holding one fails below)
    n = len(starts)
    if np.count_nonzero(u == 0x22) != 20 * n:  # 18 in the fixed text, 2 around the name
        return None
    w = np.ndarray((size + PAD - 7,), dtype="<u8", buffer=data, offset=start, strides=(1,))
    ok = np.ones(n, bool)
    for off in range(0, prefix_len, 8):  # {"pid":P,"tid": as in the first event
        mask = LOW_BYTES[min(8, prefix_len - off)]
        ok &= (w[starts + off] & mask) == (w[off] & mask)
    tid_at = starts + prefix_len
    word = w[tid_at]
    tid_len = _first_byte(word, 0x2C)  # "," after the tid: at most 7 digits (Linux)
    tids, good = _digits(word << (U64(64) - U64(8) * tid_len.astype(U64)), 8 - tid_len)
    ok &= good & (tid_len >= 1) & ((tid_len == 1) | (u[tid_at] != 0x30))  # JSON: no 007
    ts_at = tid_at + tid_len + 6
    ok &= (w[ts_at - 6] & LOW_BYTES[6]) == TS
    ts_dot = _dot(w, u, ts_at)
    ts, good = _fixed3(w, ts_at, ts_dot)
    ok &= good & ((ts_dot - ts_at == 1) | (u[ts_at] != 0x30))
    at = ts_dot + 4
    ok &= (w[at] == PH[0]) & (w[at + 8] == PH[1]) & (w[at + 16] == PH[2]) \
        & ((w[at + 24] & LOW_BYTES[4]) == PH[3])
    dur_dot = _dot(w, u, at + 28)
    dur, good = _fixed3(w, at + 28, dur_dot)
    ok &= good & ((dur_dot - at == 29) | (u[at + 28] != 0x30))
    at = dur_dot + 4
    ok &= (w[at] == NAME) & (u[at + 8] == 0x22)
    name_at = at + 9
    name_end = np.empty_like(starts)
    name_end[:-1] = starts[1:] - 3
    name_end[-1] = size - 2
    ok &= name_end >= name_at
    ok[:-1] &= (w[name_end[:-1]] & LOW_BYTES[4]) == NEXT
    if not ok.all() or (w[size - 2] & LOW_BYTES[2]) != LAST \
            or max(int(ts.max()), int(dur.max())) >= EXACT_BELOW:
        return None
    named = distinct_names(data, start, w, name_at, name_end)
    if named is None:
        return None
    names, index = named
    ts_us, dur_us = ts / 1000.0, dur / 1000.0
    end_us = float((ts_us + dur_us).max())
    ts_ns, dur_ns = (ts_us * 1000).astype(np.int64), (dur_us * 1000).astype(np.int64)
    del w, u
    first = int(tids[0])
    if (tids == first).all():
        return ScannedCalls(names, [first], [(ts_ns, dur_ns, index)], end_us, events)
    distinct, at_first = np.unique(tids, return_index=True)
    order = [int(t) for t in distinct[np.argsort(at_first)]]  # as the threads first appear
    pieces = [(ts_ns[mine], dur_ns[mine], index[mine]) for mine in (tids == t for t in order)]
    return ScannedCalls(names, order, pieces, end_us, events)


def _first_byte(words: Any, byte: int) -> Any:
    """Index (0-7) of the first byte in each word equal to byte; 8 where there is none."""
    x = words ^ U64(byte * 0x0101010101010101)
    z = (x - _ONES) & ~x & _HIGHS  # exact for the lowest zero byte
    lowest = (z & (~z + U64(1))).astype(np.float64)  # a power of two: exact
    found = (np.frexp(lowest)[1] - 8) // 8
    return np.where(z == 0, 8, found)


def _dot(w: Any, u: Any, at: Any) -> Any:
    """The position of the first "." at or after at, within 24 bytes (else at + 24).
    Where the first event has it is tried first (starts and durations often have the
    same number of digits), then each word."""
    guess = np.argmax(u[at[0]:at[0] + 24] == 0x2E) if len(at) else 0
    where = at + guess
    missing = np.flatnonzero(u[where] != 0x2E)  # a later "." is refused by _fixed3
    if not len(missing):
        return where
    tried = at[missing]
    found = tried + _first_byte(w[tried], 0x2E)
    for step in (8, 16):
        again = np.flatnonzero(found == tried + step)
        if not len(again):
            break
        found[again] = tried[again] + step + _first_byte(w[tried[again] + step], 0x2E)
    where[missing] = found
    return where


def _digits(words: Any, skip: Any) -> tuple[Any, Any]:
    """The 8-digit values of words whose first skip bytes count as "0"; ok where all
    the others are digits."""
    keep = _KEEP[np.clip(skip, 0, 8)]
    words = (words & keep) | (_ZEROS & ~keep)
    ok = ((words & _NIBBLE) == _ZEROS) & (((words + _SIX) & _NIBBLE) == _ZEROS)
    v = words & U64(0x0F0F0F0F0F0F0F0F)
    v = (v * U64(2561)) >> U64(8)
    v = ((v & U64(0x00FF00FF00FF00FF)) * U64(6553601)) >> U64(16)
    v = ((v & U64(0x0000FFFF0000FFFF)) * U64(42949672960001)) >> U64(32)
    return v, ok


def _fixed3(w: Any, at: Any, dot: Any) -> tuple[Any, Any]:
    """I.FFF between at and dot + 4 as the integer IFFF; ok where I has 1-16 digits."""
    int_len = dot - at
    x = w[dot - 4]  # 4 digits of I, ".", the 3 of F
    joined = ((x & U64(0xFFFFFFFF)) << U64(8)) | ((x >> U64(40)) << U64(40)) | U64(0x30)
    value, ok = _digits(joined, 5 - int_len)
    ok &= (int_len >= 1) & (int_len <= 16) & (((x >> U64(32)) & U64(0xFF)) == U64(0x2E))
    longest = int(int_len.max())
    if longest > 4:
        more, good = _digits(w[dot - 12], 12 - int_len)
        value += more * U64(10**7)
        ok &= good
    if longest > 12:
        more, good = _digits(w[dot - 20], 20 - int_len)
        value += more * U64(10**15)
        ok &= good
    return value, ok
