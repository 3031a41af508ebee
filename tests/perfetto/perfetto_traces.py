"""Tiny, deterministic traces for the Perfetto tests (built with the perfetto package's protos)."""

from __future__ import annotations

import json
from pathlib import Path

from perfetto.protos.perfetto.trace.perfetto_trace_pb2 import TrackEvent
from perfetto.trace_builder.proto_builder import TraceProtoBuilder

SEQ = 7


def write_pftrace(
    path: Path,
    pid: int = 4242,
    tid: int = 4243,
    process_name: str = "demo-parent",
    thread_name: str = "demo-worker",
    slice_name: str = "demo_work",
) -> Path:
    """A process (in a process_tree, parent pid 1) with one thread and one slice."""
    builder = TraceProtoBuilder()
    tree = builder.add_packet()
    tree.timestamp = 1_000
    proc = tree.process_tree.processes.add()
    proc.pid, proc.ppid = pid, 1
    proc.cmdline.append(process_name)
    thread = tree.process_tree.threads.add()
    thread.tid, thread.tgid, thread.name = tid, pid, thread_name

    desc = builder.add_packet()
    desc.trusted_packet_sequence_id = SEQ
    desc.track_descriptor.uuid = 100
    desc.track_descriptor.thread.pid = pid
    desc.track_descriptor.thread.tid = tid
    desc.track_descriptor.thread.thread_name = thread_name

    for ts, kind in (
        (2_000_000, TrackEvent.TYPE_SLICE_BEGIN),
        (9_000_000, TrackEvent.TYPE_SLICE_END),
    ):
        packet = builder.add_packet()
        packet.timestamp = ts
        packet.trusted_packet_sequence_id = SEQ
        packet.track_event.type = kind
        packet.track_event.track_uuid = 100
        if kind == TrackEvent.TYPE_SLICE_BEGIN:
            packet.track_event.name = slice_name
    path.write_bytes(builder.serialize())
    return path


def write_json_trace(path: Path, pid: int = 5151, tid: int = 5152) -> Path:
    """A Chrome JSON trace with one complete event."""
    events = [
        {"ph": "M", "pid": pid, "tid": tid, "name": "process_name", "args": {"name": "json-proc"}},
        {"ph": "X", "pid": pid, "tid": tid, "name": "json_work", "ts": 10, "dur": 50},
    ]
    path.write_text(json.dumps({"traceEvents": events}))
    return path
