"""Timeline -> Perfetto protobuf (.pftrace), streamed packet by packet.

Process names and parent links come from `process_tree` packets (docs/timeline.md:
cmdline ["Process-1 (daemon)", *argv] gives the UI name; Perfetto takes the name from
the first element, so `process.cmdline` starts with it). The real argv, unchanged, is
in the process's args `chrome.process_label[0..n-1]` (ProcessDescriptor.process_labels,
which the UI also prints on the process group's header);
function and state slices are TrackEvents with interned names (slices with args or flows,
such as the asyncio task slices, through exporters/protowire_events.py); lifecycle
instants carry debug annotations and flow ids.
"""

from __future__ import annotations

import json
from typing import IO, Any

from concurtrace.exporters.common import SUMMARY_KEY, state_slice
from concurtrace.exporters.pbmsg import TracePacket, TrackDescriptor, TrackEvent
from concurtrace.exporters.protowire import PacketSink, SliceEncoder, trace_packet
from concurtrace.exporters.protowire_events import EventEncoder
from concurtrace.exporters.sync_tracks import sync_tracks
from concurtrace.exporters.task_tracks import task_tracks
from concurtrace.model.serialize import timeline_to_dict
from concurtrace.model.slice_columns import SliceColumns
from concurtrace.model.timeline import Instant, Process, Slice, Thread, Timeline

SEQUENCE_ID = 1
CLEARED = TracePacket.SEQ_INCREMENTAL_STATE_CLEARED
NEEDS_STATE = TracePacket.SEQ_NEEDS_INCREMENTAL_STATE


class _Writer:
    def __init__(self, stream: IO[bytes], compress: bool) -> None:
        self.sink = PacketSink(stream, compress)
        self.fast = SliceEncoder(SEQUENCE_ID)
        self.names = self.fast.names  # one intern table for both encoders
        self.events = EventEncoder(self.names, SEQUENCE_ID, NEEDS_STATE)
        self.next_uuid = 1
        self.sync: dict[tuple[int, int], list[tuple[str, list[Slice], list[Instant]]]] = {}

    def uuid(self) -> int:
        self.next_uuid += 1
        return self.next_uuid

    def put(self, packet: Any) -> None:
        self.sink.framed_packet(_framed(packet))

    def event_packet(self, ts: int) -> Any:
        # The process_tree packet, written first, cleared the sequence's incremental state.
        return TracePacket(timestamp=max(ts, 0), trusted_packet_sequence_id=SEQUENCE_ID,
                           sequence_flags=NEEDS_STATE)



def write(timeline: Timeline, stream: IO[bytes], compress: bool = True) -> None:
    writer = _Writer(stream, compress)
    writer.sync = sync_tracks(timeline)
    for key, rows in task_tracks(timeline).items():  # asyncio: after the sync tracks
        writer.sync.setdefault(key, []).extend(rows)
    ordered = timeline.ordered_processes()
    _process_tree(writer, timeline, ordered)
    for rank, proc in enumerate(ordered):
        _process_tracks(writer, timeline, proc, rank)
    writer.sink.flush()


def _process_tree(writer: _Writer, timeline: Timeline, ordered: list[Process]) -> None:
    packet = TracePacket(trusted_packet_sequence_id=SEQUENCE_ID, timestamp=timeline.started_ns,
                         sequence_flags=CLEARED)
    for proc in ordered:
        entry = packet.process_tree.processes.add(pid=proc.pid)
        if proc.ppid is not None and proc.ppid in timeline.processes:
            entry.ppid = proc.ppid
        entry.cmdline.extend([proc.label()] + [str(a) for a in proc.cmdline])
        for thread in proc.threads.values():
            packet.process_tree.threads.add(tid=thread.tid, tgid=proc.pid, name=thread.name)
    writer.put(packet)


def _descriptor(writer: _Writer, descriptor: Any) -> None:
    packet = TracePacket(trusted_packet_sequence_id=SEQUENCE_ID)
    packet.track_descriptor.CopyFrom(descriptor)
    writer.put(packet)


def _process_tracks(writer: _Writer, timeline: Timeline, proc: Process, rank: int) -> None:
    proc_uuid = writer.uuid()
    descriptor = TrackDescriptor(uuid=proc_uuid, sibling_order_rank=rank)
    descriptor.process.pid = proc.pid
    descriptor.process.process_name = proc.label()
    # The exact argv, one label per element: process.cmdline begins with the role name.
    descriptor.process.process_labels.extend(str(a) for a in proc.cmdline)
    _descriptor(writer, descriptor)
    instants_by_tid: dict[int, list[Instant]] = {}
    for mark in proc.instants:
        instants_by_tid.setdefault(mark.tid or proc.pid, []).append(mark)
    threads = sorted(proc.threads.values(), key=lambda t: (not t.is_main, t.started_ns or 0, t.tid))
    for order, thread in enumerate(threads):
        uuid = writer.uuid()
        descriptor = TrackDescriptor(uuid=uuid, parent_uuid=proc_uuid, sibling_order_rank=order)
        descriptor.thread.pid, descriptor.thread.tid = proc.pid, thread.tid
        descriptor.thread.thread_name = thread.name
        _descriptor(writer, descriptor)
        _slices(writer, uuid, thread.slices, instants_by_tid.get(thread.tid, []))
        if timeline.root_pid == proc.pid and thread.is_main:
            _session_instant(writer, uuid, timeline)
        if thread.states:
            _state_track(writer, uuid, thread)
        for name, pieces, marks in writer.sync.get((proc.pid, thread.tid), []):
            _descriptor(writer, TrackDescriptor(uuid=(sync := writer.uuid()), parent_uuid=uuid,
                                                name=name))
            _slices(writer, sync, pieces, marks)
    for series in timeline.counters:
        if series.pid == proc.pid and series.points:
            uuid = writer.uuid()
            counter = TrackDescriptor(uuid=uuid, parent_uuid=proc_uuid, name=series.name)
            counter.counter.SetInParent()
            _descriptor(writer, counter)
            for ts, value in series.points:
                packet = writer.event_packet(ts)
                packet.track_event.type = TrackEvent.TYPE_COUNTER
                packet.track_event.track_uuid = uuid
                packet.track_event.double_counter_value = float(value)
                writer.put(packet)


def _state_track(writer: _Writer, thread_uuid: int, thread: Thread) -> None:
    uuid = writer.uuid()
    _descriptor(writer, TrackDescriptor(uuid=uuid, parent_uuid=thread_uuid,
                                        name=f"{thread.name} state"))
    pieces = [state_slice(run) for run in thread.states]
    _slices(writer, uuid, pieces, [])


def _slices(writer: _Writer, uuid: int, slices: SliceColumns | list[Slice],
            instants: list[Instant]) -> None:
    marks = [(m.ts, _framed(_instant_packet(writer, uuid, m)))
             for m in sorted(instants, key=lambda m: m.ts)]

    def special(piece: Slice) -> bytes:
        return writer.events.begin(piece.ts, uuid, piece.name, piece.args, piece.flows_out,
                                   piece.flows_in)

    columns = slices if isinstance(slices, SliceColumns) else SliceColumns.of(slices)
    writer.fast.track(uuid, columns, writer.sink, special, marks)


def _framed(packet: Any) -> bytes:
    return trace_packet(packet.SerializeToString())


def _instant_packet(writer: _Writer, uuid: int, mark: Instant) -> Any:
    packet = writer.event_packet(mark.ts)
    event = packet.track_event
    event.type, event.track_uuid, event.name = TrackEvent.TYPE_INSTANT, uuid, mark.name
    _extras(event, mark.args, mark.flows_out, mark.flows_in)
    return packet


def _session_instant(writer: _Writer, uuid: int, timeline: Timeline) -> None:
    # Uncompressed, so `concurtrace summary` finds it without inflating the whole trace.
    writer.sink.flush()
    compress, writer.sink.compress = writer.sink.compress, False
    mark = Instant(ts=timeline.started_ns, name="concurtrace session", pid=0, tid=None,
                   args={SUMMARY_KEY: json.dumps(timeline_to_dict(timeline))})
    writer.put(_instant_packet(writer, uuid, mark))
    writer.sink.compress = compress


def _extras(event: Any, args: dict[str, Any] | None, flows_out: list[int] | None,
            flows_in: list[int] | None) -> None:
    for key, value in (args or {}).items():
        if value is None:
            continue
        note = event.debug_annotations.add(name=key)
        if isinstance(value, bool):
            note.bool_value = value
        elif isinstance(value, int):
            note.int_value = value
        elif isinstance(value, float):
            note.double_value = value
        else:
            note.string_value = str(value)
    if flows_out:
        event.flow_ids.extend(flows_out)
    if flows_in:
        event.terminating_flow_ids.extend(flows_in)
