"""Hand-encoded begin packets of slices with arguments or flows (the "special" slices).

An asyncio run has one such slice per task step and await ("running", "awaiting ..."
with the task's args, flows create -> first step): 40k of them for a 10k-request echo
server. Built as pbmsg objects they cost ~70 µs each, most of the post-run step.
Here a packet is a few joins: each distinct (key, value) annotation is encoded once,
and each (track, name) pair's event fields once. The bytes are the ones pbmsg (and
protobuf) write for the same packet: fields in number order, minimal varints, the
interned name on its first use; tests/test_protowire_events.py compares them.
"""

from __future__ import annotations

import struct
from typing import Any

from concurtrace.exporters.protowire import _PAIRS, _SMALL, framed, varint

_FLOW_OUT = varint(47 << 3 | 1)  # TrackEvent.flow_ids, fixed64, unpacked
_FLOW_IN = varint(48 << 3 | 1)  # TrackEvent.terminating_flow_ids
_U64 = 0xFFFFFFFFFFFFFFFF
_CACHED = (str, int, bool)
_pack_q, _pack_d = struct.Struct("<Q").pack, struct.Struct("<d").pack


def _text(value: Any) -> bytes:
    return str(value).encode("utf-8", "surrogatepass")  # as pbmsg encodes strings


def annotation(key: str, value: Any) -> bytes:
    """TrackEvent.debug_annotations entry (field 4) for one argument, framed."""
    if isinstance(value, bool):
        body = b"\x10" + varint(int(value))
    elif isinstance(value, int):
        body = b"\x20" + varint(value & _U64)
    elif isinstance(value, float):
        body = b"\x29" + _pack_d(value)
    else:
        body = framed(b"\x32", _text(value))
    return framed(b"\x22", body + framed(b"\x52", _text(key)))


class EventEncoder:
    """Begin packets with debug annotations and flow ids, on one packet sequence.

    names is the sequence's intern table (shared with protowire.SliceEncoder)."""

    def __init__(self, names: dict[str, int], sequence_id: int, sequence_flags: int) -> None:
        self.names = names
        self.sequence = b"\x50" + varint(sequence_id)
        self.flags = b"\x68" + varint(sequence_flags)
        self.notes: dict[tuple[str, type, Any], bytes] = {}
        self.fields: dict[tuple[int, int], bytes] = {}  # (uuid, iid) -> type..track_uuid
        self.highs: dict[int, bytes] = {}  # ts >> 28 -> its varint (one per 0.27 s)

    def begin(self, ts: int, uuid: int, name: str, args: dict[str, Any] | None,
              flows_out: list[int] | None, flows_in: list[int] | None) -> bytes:
        """A whole framed TracePacket (Trace.packet tag and length included)."""
        interned = b""
        iid = self.names.get(name)
        if iid is None:
            iid = self.names[name] = len(self.names) + 1
            entry = b"\x08" + varint(iid) + framed(b"\x12", _text(name))
            interned = framed(b"\x62", framed(b"\x12", entry))
        fields = self.fields.get((uuid, iid))
        if fields is None:
            fields = self.fields[(uuid, iid)] = (
                b"\x48\x01\x50" + varint(iid) + b"\x58" + varint(uuid))
        parts = []
        if args:
            notes = self.notes
            for key, value in args.items():
                if value is not None:
                    try:
                        parts.append(notes[(key, type(value), value)])
                    except (KeyError, TypeError):  # a first use, a float, an unhashable value
                        parts.append(self._note(key, value))
        parts.append(fields)
        if flows_out:
            parts.extend([_FLOW_OUT + _pack_q(flow & _U64) for flow in flows_out])
        if flows_in:
            parts.extend([_FLOW_IN + _pack_q(flow & _U64) for flow in flows_in])
        event = b"".join(parts)
        high = ts >> 28
        if high > 0:  # minimal varint: 4 full groups, then the high part's varint
            stamp = _PAIRS[ts & 0x3FFF] + _PAIRS[(ts >> 14) & 0x3FFF] + (
                self.highs.get(high) or self._high(high))
        else:
            stamp = varint(max(ts, 0))
        body = b"".join((b"\x40", stamp, self.sequence, b"\x5a", _length(len(event)), event,
                         interned, self.flags))
        return b"\x0a" + _length(len(body)) + body

    def _note(self, key: str, value: Any) -> bytes:
        note = annotation(key, value)
        # Kept only where equal means the same bytes: not floats (-0.0 == 0.0, nan),
        # subclasses or unhashable values, which are encoded each time.
        if type(value) in _CACHED and type(key) is str:
            self.notes[(key, type(value), value)] = note
        return note

    def _high(self, high: int) -> bytes:
        if len(self.highs) > 64:  # times go forward: old entries are not used again
            self.highs.clear()
        data = self.highs[high] = varint(high)
        return data


def _length(size: int) -> bytes:
    if size < 0x80:
        return _SMALL[size]
    if size < 0x4000:
        return _PAIRS[size & 0x3FFF][:1] + _SMALL[size >> 7]
    return varint(size)
