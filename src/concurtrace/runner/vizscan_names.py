"""The function names of a scanned piece of calls (runner/vizscan.py): distinct, exactly.

A million names as Python strings cost ~0.2 s to cut out and look up. Here each name is
read as 8-byte words: a name equal to the one before it (the same length and words) is
the same name; the others are grouped by a hash of their words, and each is then
compared word by word with the first of its group, so a hash collision can only make
the piece fall back to msgspec, never merge two names. One Python string per distinct
name is made, checked as JSON would (UTF-8, no control characters).
"""

from __future__ import annotations

from typing import Any

import numpy as np

U64 = np.uint64
LOW_BYTES = np.array([(1 << (8 * k)) - 1 for k in range(8)] + [2**64 - 1], dtype=U64)
_MIX = U64(0x9E3779B97F4A7C15)
_CONTROL = bytes(range(32))


def distinct_names(data: bytes | bytearray, offset: int, w: Any, start: Any,
                   end: Any) -> tuple[list[str], Any] | None:
    """(the distinct names, each event's index into them), or None when a name is not
    valid JSON text or two names share a hash. w: the bytes from data[offset] as 8-byte
    words at every offset; a name is data[offset + start:offset + end]."""
    n = len(start)
    length = end - start
    words = max(1, -(-int(length.max()) // 8))
    last = np.maximum(length - 8, 0)  # the last word of a name ends where it does
    short = LOW_BYTES[np.minimum(length, 8)]  # a name under 8 bytes: the rest masked off
    same = length[1:] == length[:-1]
    for k in range(words):
        col = _word(w, start, last, short, k)
        same &= col[1:] == col[:-1]
    head = np.empty(n, bool)
    head[0] = True
    np.logical_not(same, out=head[1:])
    heads = np.flatnonzero(head)  # a name unlike the one before: hashed, then grouped
    mixed = length[heads].astype(U64)
    for k in range(words):
        mixed = (mixed ^ _word(w, start[heads], last[heads], short[heads], k)) * _MIX
        mixed ^= mixed >> U64(29)
    _, first, group = np.unique(mixed, return_index=True, return_inverse=True)
    firsts = heads[first]
    if len(firsts) < len(heads):  # heads sharing a hash: each against its group's first
        like = firsts[group]
        if not (length[like] == length[heads]).all():
            return None
        for k in range(words):
            if not (_word(w, start[heads], last[heads], short[heads], k)
                    == _word(w, start[like], last[like], short[like], k)).all():
                return None
    names = []
    for at, stop in zip(start[firsts].tolist(), end[firsts].tolist(), strict=True):
        raw = bytes(data[offset + at:offset + stop])
        if raw.translate(None, _CONTROL) != raw:
            return None
        try:
            names.append(raw.decode())
        except UnicodeDecodeError:
            return None
    return names, group[np.cumsum(head) - 1].astype(np.intp)


def _word(w: Any, start: Any, last: Any, short: Any, k: int) -> Any:
    """Word k of each name; a name shorter than 8(k + 1) bytes repeats its last word."""
    return w[start + np.minimum(8 * k, last)] & short
