"""Hand-encoded TracePackets for the hot path: plain slice begin/end events.

Python protobuf objects cost ~5 µs a packet; a million function calls make two
million packets. Begin/end events without arguments or flows are encoded here
directly (field numbers from perfetto_trace.proto; tests parse them back with the
real protos). Packets are gathered into zlib-compressed `compressed_packets`
chunks, which Perfetto's trace processor inflates on load.
"""

from __future__ import annotations

import zlib
from typing import IO

SEQ_CLEARED, SEQ_NEEDS_STATE = 1, 2
TYPE_SLICE_BEGIN, TYPE_SLICE_END = 1, 2
CHUNK_BYTES = 1 << 20


# Two 7-bit groups, both with the continuation bit: a 42-bit timestamp is 3 lookups.
_PAIRS = [bytes(((i & 0x7F) | 0x80, ((i >> 7) & 0x7F) | 0x80)) for i in range(1 << 14)]
_SMALL = [bytes((i,)) for i in range(0x80)]


def varint(value: int) -> bytes:
    if value < 0x80:
        return _SMALL[value]
    if value < 0x4000:
        return bytes(((value & 0x7F) | 0x80, value >> 7))
    return _PAIRS[value & 0x3FFF] + varint(value >> 14)


def framed(tag: bytes, payload: bytes) -> bytes:
    return tag + varint(len(payload)) + payload


class PacketSink:
    """Collects serialized packets and writes them as compressed chunks."""

    def __init__(self, stream: IO[bytes], compress: bool = True) -> None:
        self.stream, self.compress = stream, compress
        self.parts: list[bytes] = []
        self.size = 0

    def packet(self, body: bytes) -> None:
        self.framed_packet(framed(b"\x0a", body))  # Trace.packet = 1

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
        deflated = zlib.compress(b"".join(self.parts), 6)
        self.stream.write(framed(b"\x0a", framed(b"\x92\x03", deflated)))  # field 50
        self.parts, self.size = [], 0


class SliceEncoder:
    """Begin/end events of one sequence with interned names."""

    def __init__(self, sequence_id: int) -> None:
        self.tail = b"\x50" + varint(sequence_id) + b"\x68" + varint(SEQ_NEEDS_STATE)
        self.names: dict[str, int] = {}
        self._ends: dict[int, bytes] = {}
        self._begins: dict[tuple[int, int], bytes] = {}

    def begin(self, ts: int, track_uuid: int, name: str) -> bytes:
        """A whole framed packet (Trace.packet tag and length included)."""
        iid = self.names.get(name)
        interned = b""
        if iid is None:
            iid = self.names[name] = len(self.names) + 1
            entry = b"\x08" + varint(iid) + framed(b"\x12", name.encode("utf-8", "replace"))
            interned = framed(b"\x62", framed(b"\x12", entry))
        suffix = self._begins.get((track_uuid, iid))
        if suffix is None:
            event = b"\x48\x01\x58" + varint(track_uuid) + b"\x50" + varint(iid)
            suffix = self._begins[(track_uuid, iid)] = framed(b"\x5a", event) + self.tail
        body = b"\x40" + varint(ts) + suffix + interned
        return b"\x0a" + varint(len(body)) + body

    def end(self, ts: int, track_uuid: int) -> bytes:
        suffix = self._ends.get(track_uuid)
        if suffix is None:
            event = b"\x48\x02\x58" + varint(track_uuid)
            suffix = self._ends[track_uuid] = framed(b"\x5a", event) + self.tail
        body = b"\x40" + varint(ts) + suffix
        return b"\x0a" + varint(len(body)) + body
