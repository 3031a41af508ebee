"""The hand-encoded hot path must mean exactly what the real protos say."""

from __future__ import annotations

import io
import zlib

from perfetto.protos.perfetto.trace.perfetto_trace_pb2 import Trace, TrackEvent

from concurtrace.exporters.protowire import PacketSink, SliceEncoder, varint
from concurtrace.model.slice_columns import SliceColumns


def test_varint_matches_protobuf() -> None:
    from google.protobuf.internal.encoder import _VarintBytes

    for value in (0, 1, 127, 128, 16383, 16384, 2**35 + 12345, 5_000_000_000_123, 2**63 - 1):
        assert varint(value) == _VarintBytes(value), value


def test_begin_end_parse_back_with_the_real_protos() -> None:
    from concurtrace.model.timeline import Slice

    encoder = SliceEncoder(7)
    stream = io.BytesIO()
    sink = PacketSink(stream, compress=False)
    encoder.track(42, SliceColumns.of([Slice(123_456_789_012, 988, "work (x.py:3)"),
                                       Slice(123_456_791_000, 5, "work (x.py:3)")]),
                  sink, lambda piece: b"", [])
    packets = Trace.FromString(stream.getvalue()).packet
    first, end, again, _ = packets
    assert first.timestamp == 123_456_789_012 and first.trusted_packet_sequence_id == 7
    assert first.track_event.type == TrackEvent.TYPE_SLICE_BEGIN
    assert first.track_event.track_uuid == 42 and first.track_event.name_iid == 1
    assert first.interned_data.event_names[0].name == "work (x.py:3)"
    assert end.track_event.type == TrackEvent.TYPE_SLICE_END and end.timestamp == 123_456_790_000
    assert again.track_event.name_iid == 1 and not again.HasField("interned_data")


def test_compressed_chunks_hold_the_packets() -> None:
    stream = io.BytesIO()
    sink = PacketSink(stream)
    encoder = SliceEncoder(1)
    for i in range(1000):
        sink.framed_packet(encoder.begin(1_000 + i, 2, f"f{i % 7}"))
    sink.flush()
    outer = Trace.FromString(stream.getvalue()).packet
    inner = Trace.FromString(b"".join(zlib.decompress(p.compressed_packets) for p in outer))
    assert len(inner.packet) == 1000 and inner.packet[-1].timestamp == 1_999


def test_track_nests_clamps_and_interleaves_with_the_real_protos() -> None:
    from concurtrace.model.timeline import Slice

    encoder = SliceEncoder(3)
    stream = io.BytesIO()
    sink = PacketSink(stream, compress=False)
    big = 2**60 + 5  # any uint63 timestamp survives the fixed 9-byte varint
    slices = [Slice(0, 100, "outer"), Slice(10, 95, "inner"),  # inner clamped to 100
              Slice(50, 0, "special", args={"x": 1}), Slice(big, 7, "late")]
    marks = [(10, b"MARK")]  # framed packet placeholders, checked by position
    special_packet = encoder.begin(50, 9, "special-slow")
    encoder.track(9, SliceColumns.of(slices), sink, lambda s: special_packet, marks)
    raw = stream.getvalue()
    before, after = raw.split(b"MARK")
    packets = [*Trace.FromString(before).packet, *Trace.FromString(after).packet]
    kinds = [(p.timestamp, p.track_event.type) for p in packets]
    begin, end = TrackEvent.TYPE_SLICE_BEGIN, TrackEvent.TYPE_SLICE_END
    assert kinds == [(0, begin), (10, begin), (50, begin), (50, end), (100, end), (100, end),
                     (big, begin), (big + 7, end)]
    assert len(Trace.FromString(before).packet) == 1, "the instant comes before events at 10"
    assert {p.track_event.track_uuid for p in packets} == {9}
    names = {e.iid: e.name for p in packets for e in p.interned_data.event_names}
    assert [names.get(p.track_event.name_iid) for p in packets if p.track_event.type == begin] \
        == ["outer", "inner", "special-slow", "late"]
