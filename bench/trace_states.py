"""Read the per-thread state slices ("<thread> state" tracks) back from a
concurtrace .pftrace, with their timestamps, so the benchmark can tell *when*
concurtrace said what (the JSON summary only has per-thread totals).

Only the packet layout written by concurtrace.exporters.perfetto is handled:
thread track descriptors (thread.tid), child tracks named "... state", and
SLICE_BEGIN/SLICE_END pairs with interned names.
"""

from __future__ import annotations

import zlib
from collections import defaultdict

from perfetto.protos.perfetto.trace.perfetto_trace_pb2 import TracePacket, TrackEvent

from concurtrace.model.vocabulary import STATE_BY_NAME

Segment = tuple[int, int, str]


def _packets(data: bytes):  # type: ignore[no-untyped-def]
    offset = 0
    while offset < len(data):
        if data[offset] != 0x0A:
            raise ValueError(f"not a packet at byte {offset}")
        value, shift = 0, 0
        offset += 1
        while True:
            byte = data[offset]
            offset += 1
            value |= (byte & 0x7F) << shift
            shift += 7
            if not byte & 0x80:
                break
        packet = TracePacket()
        packet.ParseFromString(data[offset:offset + value])
        offset += value
        if packet.compressed_packets:  # zlib chunks of packets (exporters/protowire.py)
            yield from _packets(zlib.decompress(packet.compressed_packets))
            continue
        yield packet


def state_runs(path: str) -> dict[int, list[Segment]]:
    """tid -> sorted [(start_ns, end_ns, state key)] from the state tracks."""
    with open(path, "rb") as f:
        data = f.read()
    thread_of: dict[int, int] = {}  # thread track uuid -> tid
    state_track: dict[int, int] = {}  # state track uuid -> tid
    names: dict[int, str] = {}
    open_: dict[int, tuple[int, str]] = {}
    runs: dict[int, list[Segment]] = defaultdict(list)
    for packet in _packets(data):
        if packet.HasField("track_descriptor"):
            desc = packet.track_descriptor
            if desc.HasField("thread"):
                thread_of[desc.uuid] = desc.thread.tid
            elif desc.name.endswith(" state") and desc.parent_uuid in thread_of:
                state_track[desc.uuid] = thread_of[desc.parent_uuid]
            continue
        for name in packet.interned_data.event_names:
            names[name.iid] = name.name
        if not packet.HasField("track_event"):
            continue
        ev = packet.track_event
        tid = state_track.get(ev.track_uuid)
        if tid is None:
            continue
        if ev.type == TrackEvent.TYPE_SLICE_BEGIN:
            label = names.get(ev.name_iid, ev.name)
            open_[ev.track_uuid] = (packet.timestamp, STATE_BY_NAME.get(label, label))
        elif ev.type == TrackEvent.TYPE_SLICE_END and ev.track_uuid in open_:
            t0, state = open_.pop(ev.track_uuid)
            runs[tid].append((t0, packet.timestamp, state))
    return {tid: sorted(r) for tid, r in runs.items()}
