"""Hand-encoded TracePackets for the hot path: plain slice begin/end events.

Python protobuf objects cost ~5 µs a packet; a million function calls make two
million packets. Begin/end events without arguments or flows are encoded here
directly (field numbers from perfetto_trace.proto; tests parse them back with the
real protos). Packets are gathered into zlib-compressed `compressed_packets`
chunks, which Perfetto's trace processor inflates on load.
"""

from __future__ import annotations

import sys
import zlib
from collections.abc import Callable
from functools import partial
from typing import IO, TYPE_CHECKING, Any

from concurtrace.model.slice_columns import Slice, SliceColumns

if TYPE_CHECKING:
    from concurtrace.exporters.protowire_numpy import VectorTrack

SEQ_NEEDS_STATE = 2  # TracePacket.sequence_flags
CHUNK_BYTES = 1 << 20


def _pair_table() -> list[bytes]:
    """Entry i: the two 7-bit groups of i, both with the continuation bit. Sliced from one
    interleaved buffer: half the ~2.3 ms of 16 k `bytes((lo, hi))` at every start."""
    interleaved = bytearray(1 << 15)
    interleaved[0::2] = bytes(range(0x80, 0x100)) * 128  # low group: i & 0x7F, cycling
    interleaved[1::2] = b"".join(bytes((high,)) * 128 for high in range(0x80, 0x100))
    table = bytes(interleaved)
    return [table[i:i + 2] for i in range(0, 1 << 15, 2)]


# A 42-bit timestamp is 3 lookups.
_PAIRS = _pair_table()
_SMALL = [bytes((i,)) for i in range(0x80)]
_NEVER = 1 << 64
BATCH = 30_000  # packets handed to the sink at once (~1 MB)
VECTOR_PIECE = 8192  # slices numpy encodes at once (exporters/protowire_numpy.py)
VECTOR_MIN = 512  # fewer plain slices in a row: the Python walk (numpy's calls cost ~0.2 ms)
VECTOR_TRACK = 10_000, 100_000  # slices of a track to use numpy: loaded already, or not


def varint(value: int) -> bytes:
    if value < 0x80:
        return _SMALL[value]
    if value < 0x4000:
        return bytes(((value & 0x7F) | 0x80, value >> 7))
    return _PAIRS[value & 0x3FFF] + varint(value >> 14)


def framed(tag: bytes, payload: bytes) -> bytes:
    return tag + varint(len(payload)) + payload


def trace_packet(body: bytes) -> bytes:
    """A serialized TracePacket framed as Trace.packet (field 1), as sinks take them."""
    return framed(b"\x0a", body)


class PacketSink:
    """Collects serialized packets and writes them as compressed chunks."""

    def __init__(self, stream: IO[bytes], compress: bool = True) -> None:
        self.stream, self.compress = stream, compress
        self.parts: list[bytes] = []
        self.size = 0

    def extend(self, framed_packets: list[bytes]) -> None:
        if not self.compress:
            self.stream.write(b"".join(framed_packets))
            return
        self.parts.extend(framed_packets)
        self.size += sum(map(len, framed_packets))
        if self.size >= CHUNK_BYTES:
            self.flush()

    def framed_packet(self, data: bytes) -> None:
        if not self.compress:
            self.stream.write(data)
            return
        self.parts.append(data)
        self.size += len(data)
        if self.size >= CHUNK_BYTES:
            self.flush()

    def flush(self) -> None:
        if not self.parts:
            return
        deflated = zlib.compress(b"".join(self.parts), 1)  # level 6: -7 % size, 2x time
        self.stream.write(framed(b"\x0a", framed(b"\x92\x03", deflated)))  # field 50
        self.parts, self.size = [], 0


class SliceEncoder:
    """Begin/end events of one sequence with interned names.

    Timestamps are written as 9-byte varints (non-minimal but valid protobuf, and
    zlib absorbs the padding): every packet of a kind then has the same length, so
    its header is computed once and the hot loop is table lookups and joins.
    """

    def __init__(self, sequence_id: int) -> None:
        self.tail = b"\x50" + varint(sequence_id) + b"\x68" + varint(SEQ_NEEDS_STATE)
        self.names: dict[str, int] = {}

    def begin(self, ts: int, track_uuid: int, name: str) -> bytes:
        """A whole framed packet (Trace.packet tag and length included)."""
        iid, interned = self._iid(name)
        return self._packet(ts, self._begin_suffix(track_uuid, iid) + interned)

    def track(self, uuid: int, slices: SliceColumns, sink: PacketSink,
              special: Callable[[Slice], bytes], marks: list[tuple[int, bytes]]) -> None:
        """Writes a track's slices as nested begin/end packets into sink (the order of
        exporters.common.nested, walked over the columns). special(slice) encodes the
        begin of a slice with arguments or flows; marks are (ts, packet) instants,
        written before the first event at or after their time.

        The loop runs over stretches of plain slices between the special ones, BATCH
        at a time, so its body has no index, no special case and no size check. On a
        long track numpy encodes the stretches VECTOR_PIECE at a time (the same bytes,
        protowire_numpy.py); a piece it leaves (an end to clamp) goes through the loop."""
        end_suffix = self._end_suffix(uuid)
        end_head = _head(len(end_suffix))
        heads: dict[int, bytes] = {}  # name id -> the head of its begin packets (this track)
        tails: dict[int, bytes] = {}  # name id -> varint(ts >> 28) + its begin suffix
        names, interned = slices.names, self.names
        parts: list[bytes] = []
        add = parts.append
        pairs, mask = _PAIRS, 0x3FFF
        join = b"".join  # one allocation a packet (three with +)
        mark_index, next_mark = 0, marks[0][0] if marks else _NEVER
        # The packets' times: [low, limit) needs nothing done; a time outside it (the
        # next 0.27 s of ts >> 28, or a mark due) takes the slow branch, one compare a packet.
        high, low, limit, end_tail = -1, 0, 0, b""
        stack: list[int] = [_NEVER]  # end times of the open slices, above a sentinel
        pop, push = stack.pop, stack.append
        top = _NEVER  # stack[-1]
        ts_col, dur_col, id_col = slices.ts, slices.dur, slices.name_ids
        total = len(ts_col)
        start = 0
        vector = self._vector(uuid, total, end_head, end_suffix, names)
        for stop in [*slices.carrying(), total]:
            for first in range(start, stop, BATCH):
                last = min(first + BATCH, stop)
                step = VECTOR_PIECE if vector is not None and last - first >= VECTOR_MIN else BATCH
                for piece in range(first, last, step):
                    end_piece = min(piece + step, last)
                    if step == VECTOR_PIECE and vector is not None:
                        got = vector.encode(*_views(ts_col, dur_col, id_col, piece, end_piece),
                                            stack, marks, mark_index,
                                            partial(self._first_use, slices, uuid, piece))
                        if got is not None:
                            add(got[0])
                            mark_index = got[1]
                            next_mark = marks[mark_index][0] if mark_index < len(marks) \
                                else _NEVER
                            limit, top = min(limit, next_mark), stack[-1]
                            continue
                    for ts, dur, name_id in zip(ts_col[piece:end_piece],
                                                dur_col[piece:end_piece],
                                                id_col[piece:end_piece], strict=True):
                        while top <= ts:
                            end = pop()
                            top = stack[-1]
                            if not low <= end < limit:
                                if end >= next_mark:
                                    mark_index, next_mark = _marks_until(end, marks,
                                                                         mark_index, add)
                                if end >> 28 != high:
                                    high, tails = end >> 28, {}
                                    end_tail = _high_bytes(high) + end_suffix
                                low, limit = high << 28, min((high + 1) << 28, next_mark)
                            add(join((end_head, pairs[end & mask], pairs[(end >> 14) & mask],
                                      end_tail)))
                        end = ts + dur
                        if end > top:
                            end = top  # a child rounded to end after its parent: clamped
                        push(end)
                        top = end
                        if not low <= ts < limit:
                            if ts >= next_mark:
                                mark_index, next_mark = _marks_until(ts, marks, mark_index, add)
                            if ts >> 28 != high:
                                high, tails = ts >> 28, {}
                                end_tail = _high_bytes(high) + end_suffix
                            low, limit = high << 28, min((high + 1) << 28, next_mark)
                        tail = tails.get(name_id)
                        if tail is None:
                            name = names[name_id]
                            if name not in interned:  # its first packet carries the name
                                add(self.begin(ts, uuid, name))
                                continue
                            suffix = self._begin_suffix(uuid, interned[name])
                            heads[name_id] = _head(len(suffix))
                            tail = tails[name_id] = _high_bytes(high) + suffix
                        add(join((heads[name_id], pairs[ts & mask], pairs[(ts >> 14) & mask],
                                  tail)))
                sink.extend(parts)
                parts.clear()
            if stop == total:
                break
            ts = ts_col[stop]  # a slice with arguments or flows
            while top <= ts:
                end = pop()
                top = stack[-1]
                if end >= next_mark:
                    mark_index, next_mark = _marks_until(end, marks, mark_index, add)
                add(self._packet(end, end_suffix))
            end = min(ts + dur_col[stop], top)
            push(end)
            top = end
            if ts >= next_mark:
                mark_index, next_mark = _marks_until(ts, marks, mark_index, add)
            limit = min(limit, next_mark)
            add(special(slices[stop]))
            start = stop + 1
        while len(stack) > 1:
            end = pop()
            if end >= next_mark:
                mark_index, next_mark = _marks_until(end, marks, mark_index, add)
            add(self._packet(end, end_suffix))
        _marks_until(_NEVER, marks, mark_index, add)
        sink.extend(parts)

    def _vector(self, uuid: int, total: int, end_head: bytes, end_suffix: bytes,
                names: list[str]) -> VectorTrack | None:
        """numpy's encoder for a long track: when numpy is loaded already (the merge of a
        large dump loads it) or the track repays its import (~0.06 s)."""
        if total < VECTOR_TRACK[0] or (total < VECTOR_TRACK[1] and "numpy" not in sys.modules):
            return None
        try:
            from concurtrace.exporters.protowire_numpy import VectorTrack
        except ImportError:  # no numpy: the Python walk, same packets
            return None

        def begin_parts(name_id: int) -> tuple[bytes, bytes]:
            suffix = self._begin_suffix(uuid, self.names[names[name_id]])
            return _head(len(suffix)), suffix

        return VectorTrack(end_head, end_suffix, begin_parts)

    def _first_use(self, slices: SliceColumns, uuid: int, offset: int, index: int) -> bytes | None:
        """The begin of slice offset + index if its name is not interned yet."""
        name = slices.name(offset + index)
        return None if name in self.names else self.begin(slices.ts[offset + index], uuid, name)

    def _iid(self, name: str) -> tuple[int, bytes]:
        """The name's interned id, and the interned_data to send with its first use."""
        iid = self.names.get(name)
        if iid is not None:
            return iid, b""
        iid = self.names[name] = len(self.names) + 1
        entry = b"\x08" + varint(iid) + framed(b"\x12", name.encode("utf-8", "replace"))
        return iid, framed(b"\x62", framed(b"\x12", entry))

    def _begin_suffix(self, uuid: int, iid: int) -> bytes:
        event = b"\x48\x01\x58" + varint(uuid) + b"\x50" + varint(iid)
        return framed(b"\x5a", event) + self.tail

    def _end_suffix(self, uuid: int) -> bytes:
        return framed(b"\x5a", b"\x48\x02\x58" + varint(uuid)) + self.tail

    @staticmethod
    def _packet(ts: int, rest: bytes) -> bytes:
        body = b"\x40" + timestamp(ts) + rest
        return b"\x0a" + varint(len(body)) + body


def timestamp(ts: int) -> bytes:
    """TracePacket.timestamp as a 9-byte varint: 0 <= ts < 2**63 (callers never pass less)."""
    ts = min(max(ts, 0), (1 << 63) - 1)
    return (_PAIRS[ts & 0x3FFF] + _PAIRS[(ts >> 14) & 0x3FFF] + _PAIRS[(ts >> 28) & 0x3FFF]
            + _PAIRS[(ts >> 42) & 0x3FFF] + _SMALL[ts >> 56])


def _high_bytes(high: int) -> bytes:
    """The last 5 bytes of timestamp(ts) for ts >> 28 == high."""
    return _PAIRS[high & 0x3FFF] + _PAIRS[(high >> 14) & 0x3FFF] + _SMALL[high >> 28]


def _head(suffix_len: int) -> bytes:
    """Trace.packet tag, length and the timestamp tag of a packet with a 9-byte timestamp."""
    return b"\x0a" + varint(1 + 9 + suffix_len) + b"\x40"


def _marks_until(ts: int, marks: list[tuple[int, bytes]], index: int,
                 add: Callable[[bytes], None]) -> tuple[int, int]:
    while index < len(marks) and marks[index][0] <= ts:
        add(marks[index][1])
        index += 1
    return index, marks[index][0] if index < len(marks) else _NEVER


def _views(ts: Any, dur: Any, ids: Any, first: int, last: int) -> tuple[Any, Any, Any]:
    from concurtrace.exporters.protowire_numpy import columns

    return columns(ts, dur, ids, first, last)
