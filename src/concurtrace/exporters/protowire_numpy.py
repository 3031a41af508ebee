"""The slice encoder's plain stretches on numpy arrays: the same packets, no Python per call.

SliceEncoder.track walks a stack per call in Python (~0.45 us a packet). Here a stretch
of plain slices is encoded at once: where each end goes (the first later begin at or
after it, innermost first), the packets' bytes from per-name templates with the 9-byte
timestamps written in, the marks put before the first packet at or after their time.
That is the Python walk's output only when no end needs clamping to its parent's;
the depth of every end and the order of the times are checked, and a stretch that fails
(or a name's first use, which carries its interned name) is left to the Python walk.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable
from typing import Any

import numpy as np

U64 = np.uint64
PIECE = 8192  # slices encoded at once: ~200 k bytes and a few MB of indices


class VectorTrack:
    """One track's templates: end packet (index 0), begin packet of each name id."""

    def __init__(self, end_head: bytes, end_suffix: bytes,
                 begin_parts: Callable[[int], tuple[bytes, bytes]]) -> None:
        self.begin_parts = begin_parts  # name id -> (head, suffix), its name interned
        self.templates = [end_head + bytes(9) + end_suffix]
        self.heads = [len(end_head)]
        self.index: dict[int, int] = {}  # name id -> template index
        self._tables: tuple[Any, Any, int] | None = None
        self.lookup: Any = np.zeros(1, np.int64)  # name id -> template index
        self.known: Any = np.zeros(1, bool)  # name id -> has a template

    def encode(self, ts: Any, dur: Any, ids: Any, stack: list[int],
               marks: list[tuple[int, bytes]], mark_index: int,
               first_use: Callable[[int], bytes | None]) -> tuple[bytes, int] | None:
        """Packets of slices (ts, dur, ids) after the open ends on stack (a sentinel
        first); updates stack. None, and nothing changed, if the Python walk must do it.
        first_use(i): slice i's begin if it carries a name's first use, else None."""
        n = len(ts)
        ends = ts + dur
        if n == 0 or (dur < 0).any() or (ends < ts).any():
            return None
        incoming = np.array(stack[1:], dtype=np.int64)  # bottom .. top
        m = len(incoming)
        slot_b = np.maximum(np.arange(1, n + 1), np.searchsorted(ts, ends, "left"))
        slot_i = np.searchsorted(ts, incoming, "left")
        done_b, done_i = np.flatnonzero(slot_b < n), np.flatnonzero(slot_i < n)
        # Events: begin i at (i, 1, 0); end of i at (slot, 0, n - i): innermost first;
        # an incoming end at (slot, 0, 2n + m - j): after the batch's, top first.
        slot = np.concatenate((np.arange(n), slot_b[done_b], slot_i[done_i]))
        sub = np.concatenate((np.ones(n, np.int64), np.zeros(len(done_b) + len(done_i),
                                                              np.int64)))
        tie = np.concatenate((np.zeros(n, np.int64), n - done_b, 2 * n + m - done_i))
        times = np.concatenate((ts, ends[done_b], incoming[done_i]))
        order = np.lexsort((tie, sub, slot))
        stream = times[order]
        if (np.diff(stream) < 0).any():
            return None  # a child ends after its parent: the walk clamps it
        delta = np.where(order < n, 1, -1)
        after = m + np.cumsum(delta)
        where = np.empty(len(order), np.int64)
        where[order] = np.arange(len(order))
        level_b = after[where[:n]]
        before_end = after - delta
        ended_b = where[n:n + len(done_b)]
        ended_i = where[n + len(done_b):]
        if (before_end[ended_b] != level_b[done_b]).any() \
                or (before_end[ended_i] != done_i + 1).any():
            return None  # not nested: ends cross
        kept = np.concatenate((incoming[slot_i >= n], ends[slot_b >= n]))
        if (np.diff(kept) > 0).any():
            return None  # an open child ends after its parent
        return self._bytes(ts, ids, order, stream, n, marks, mark_index, first_use,
                           stack, kept)

    def _bytes(self, ts: Any, ids: Any, order: Any, stream: Any, n: int,
               marks: list[tuple[int, bytes]], mark_index: int,
               first_use: Callable[[int], bytes | None], stack: list[int],
               kept: Any) -> tuple[bytes, int]:
        loose: list[tuple[int, bytes]] = []  # (event position, packet) not from a template
        known = self.known[ids] if int(ids.max()) < len(self.known) else None
        if known is None or not known.all():
            unique, firsts = np.unique(ids, return_index=True)
            for i in sorted(int(i) for u, i in zip(unique.tolist(), firsts.tolist(),
                                                   strict=True) if u not in self.index):
                packet = first_use(i)  # interned in the order the names are used
                if packet is not None:
                    loose.append((i, packet))  # slice i for now: its position below
            for name_id in unique.tolist():
                if name_id not in self.index:
                    start, suffix = self.begin_parts(name_id)
                    self.index[name_id] = len(self.templates)
                    self.templates.append(start + bytes(9) + suffix)
                    self.heads.append(len(start))
                    self._tables = None
        matrix, widths, head = self._tables or self._build()
        is_begin = order < n
        kind = np.where(is_begin, self.lookup[ids[np.minimum(order, n - 1)]], 0)
        if loose:
            begin_at = np.empty(n, np.int64)
            begin_at[order[is_begin]] = np.flatnonzero(is_begin)
            loose = [(int(begin_at[i]), packet) for i, packet in loose]
        mark_ts = [t for t, _ in marks[mark_index:]]
        placed = np.searchsorted(stream, np.array(mark_ts, np.int64), "left").tolist() \
            if mark_ts else []
        count = sum(1 for position in placed if position < len(order))
        fixed = np.ones(len(order), bool)
        fixed[[position for position, _ in loose]] = False
        rows = matrix[kind[fixed]]  # each packet's template, padded to the widest
        low, top = _varint9(stream[fixed])
        rows[:, head:head + 8] = low.astype("<u8", copy=False).view(np.uint8).reshape(-1, 8)
        rows[:, head + 8] = top
        width = widths[kind[fixed]]
        keep = np.arange(matrix.shape[1]) < width[:, None]
        body = rows.ravel()[keep.ravel()]  # unpadded, in order (1-D: ~3x a 2-D mask)
        # The packets not from a template go in at their byte offsets.
        # A mark goes before the event at its position, a loose packet is that event.
        inserts = sorted([*((position, 1, packet) for position, packet in loose),
                          *((placed[k], 0, marks[mark_index + k][1]) for k in range(count))],
                         key=lambda item: item[:2])
        if not inserts:
            data = body.tobytes()
        else:
            offsets = np.concatenate(([0], np.cumsum(width)))
            skipped = np.cumsum(~fixed)  # loose packets at or before each position
            pieces, done = [], 0
            for position, _, packet in inserts:
                before = position - (int(skipped[position - 1]) if position else 0)
                cut = int(offsets[before])
                pieces += [body[done:cut].tobytes(), packet]
                done = cut
            pieces.append(body[done:].tobytes())
            data = b"".join(pieces)
        stack[1:] = kept.tolist()
        return data, mark_index + count

    def _build(self) -> tuple[Any, Any, int]:
        widths = np.array([len(t) for t in self.templates], np.int64)
        matrix = np.zeros((len(self.templates), int(widths.max())), np.uint8)
        for row, template in zip(matrix, self.templates, strict=True):
            row[:len(template)] = np.frombuffer(template, np.uint8)
        self.lookup = np.zeros(max(self.index, default=0) + 1, np.int64)
        self.lookup[list(self.index)] = list(self.index.values())
        self.known = np.zeros(len(self.lookup), bool)
        self.known[list(self.index)] = True
        # Every head is tag, length, timestamp tag: 3 bytes while a packet is < 128
        # bytes (a suffix is < 40), so the timestamps are one column of the matrix.
        self._tables = matrix, widths, self.heads[0]
        return self._tables


def _varint9(times: Any) -> tuple[Any, Any]:
    """The 9-byte varints of int64 times: the first 8 bytes as one little-endian word
    each (7 bits a byte, continuation bits set), and the last byte. The 56 low bits are
    spread 28 -> 14 -> 7 bits a lane in three steps instead of 8 shifts and masks."""
    x = times.astype(U64)  # two's complement, as protobuf writes a negative int64
    low = x & U64(2**56 - 1)
    low = (low & U64(0xFFFFFFF)) | ((low & U64(0xFFFFFFF << 28)) << U64(4))
    low = (low & U64(0x00003FFF00003FFF)) | ((low & U64(0x0FFFC0000FFFC000)) << U64(2))
    low = (low & U64(0x007F007F007F007F)) | ((low & U64(0x3F803F803F803F80)) << U64(1))
    return low | U64(0x8080808080808080), ((x >> U64(56)) & U64(0x7F)).astype(np.uint8)


def columns(ts_col: array[int], dur_col: array[int], id_col: array[int], first: int,
            last: int) -> tuple[Any, Any, Any]:
    """Views of the columns' [first, last) (no copies)."""
    count = last - first
    return (np.frombuffer(ts_col, np.int64, count, first * 8),
            np.frombuffer(dur_col, np.int64, count, first * 8),
            np.frombuffer(id_col, np.uint32, count, first * 4))
