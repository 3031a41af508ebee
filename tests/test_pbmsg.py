"""exporters/pbmsg.py (our few protobuf messages) writes the bytes protobuf itself writes."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from traced import SCENARIOS

from concurtrace.exporters import perfetto
from concurtrace.runner.run import RunConfig, run


def _export(timeline: object, monkeypatch: pytest.MonkeyPatch, classes: object) -> bytes:
    with monkeypatch.context() as patch:
        for name in ("TracePacket", "TrackDescriptor", "TrackEvent"):
            patch.setattr(perfetto, name, getattr(classes, name))
        buffer = io.BytesIO()
        perfetto.write(timeline, buffer, compress=False)  # type: ignore[arg-type]
        return buffer.getvalue()


def test_same_bytes_as_protobuf(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    pb2 = pytest.importorskip("perfetto.protos.perfetto.trace.perfetto_trace_pb2")
    from concurtrace.exporters import pbmsg

    # A real run: processes with lifecycle instants (args, flows), threads, state slices,
    # counters, function slices.
    result = run(RunConfig(target_argv=[str(SCENARIOS / "processes.py")]))
    timeline = result.timeline
    assert len(timeline.processes) > 1 and timeline.counters
    threads = [t for p in timeline.processes.values() for t in p.threads.values()]
    assert any(t.states for t in threads) and any(t.slices for t in threads)
    marks = [m for p in timeline.processes.values() for m in p.instants]
    assert any(m.args for m in marks) and any(m.flows_out or m.flows_in for m in marks)
    ours = _export(timeline, monkeypatch, pbmsg)
    assert ours == _export(timeline, monkeypatch, pb2)


def test_negative_and_oneof() -> None:
    pb2 = pytest.importorskip("perfetto.protos.perfetto.trace.perfetto_trace_pb2")
    from concurtrace.exporters import pbmsg

    def build(classes: object) -> bytes:
        packet = classes.TracePacket(timestamp=0, trusted_packet_sequence_id=1)  # type: ignore[attr-defined]
        event = packet.track_event
        event.name = "first"
        event.name_iid = 7  # same oneof: replaces the name
        note = event.debug_annotations.add(name="exit")
        note.int_value = -9
        note.string_value = "x"  # same oneof: replaces the int
        event.debug_annotations.add(name="flag", bool_value=False)
        event.debug_annotations.add(name="signal", int_value=-9)
        packet.track_descriptor.thread.tid = 12  # same oneof as track_event, set last
        event.flow_ids.extend([2**63 + 5])
        packet.interned_data.event_names.add(iid=7, name="é ✓")
        return bytes(packet.SerializeToString())

    assert build(pbmsg) == build(pb2)
    assert pbmsg.TracePacket().SerializeToString() == b""
