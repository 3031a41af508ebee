"""numpy's slice encoder writes exactly the packets of the Python walk."""

from __future__ import annotations

import io
import random

import pytest

from concurtrace.exporters import protowire
from concurtrace.exporters.protowire import PacketSink, SliceEncoder
from concurtrace.model.slice_columns import Slice, SliceColumns


def _track(rng: random.Random, count: int) -> SliceColumns:
    """Nested calls by start (parent first), with ties, zero durations, children that
    end after their parent (clamped), a few negative durations, calls with arguments."""
    pieces: list[Slice] = []
    open_ends: list[int] = []
    clock = rng.randrange(0, 1 << 40) if rng.random() < 0.5 else 0
    for _ in range(count):
        while open_ends and (open_ends[-1] <= clock or rng.random() < 0.3):
            clock = max(clock, open_ends.pop())
        limit = open_ends[-1] if open_ends else clock + 10_000
        dur = rng.choice([0, 1, rng.randrange(0, max(1, limit - clock) + 1)])
        if rng.random() < 0.03:
            dur += rng.randrange(1, 50)  # ends after its parent: clamped
        if rng.random() < 0.005:
            dur = -rng.randrange(1, 5)
        piece = Slice(clock, dur, f"f{rng.randrange(12)}")
        if rng.random() < 0.01:
            piece.args = {"unfinished": True}
        pieces.append(piece)
        open_ends.append(clock + max(dur, 0))
        if rng.random() < 0.6:
            clock += rng.choice([0, 1, rng.randrange(1, 300)])
    return SliceColumns.of(pieces)


def _encoded(tracks: list[SliceColumns], marks: list[list[tuple[int, bytes]]]) -> bytes:
    encoder, stream = SliceEncoder(1), io.BytesIO()
    sink = PacketSink(stream, compress=False)
    for uuid, (slices, track_marks) in enumerate(zip(tracks, marks, strict=True), start=2):
        encoder.track(uuid, slices, sink, lambda piece: b"\x0a\x01S", track_marks)
    return stream.getvalue()


@pytest.mark.parametrize("seed", range(12))
def test_numpy_encoder_writes_the_python_walks_packets(seed: int,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    rng = random.Random(seed)
    tracks = [_track(rng, rng.randrange(1, 3000)) for _ in range(3)]
    marks = []
    for slices in tracks:
        times = sorted(rng.randrange(0, max(slices.ts) + 20) for _ in range(rng.randrange(6)))
        marks.append([(t, b"\x0a\x02M" + bytes([k])) for k, t in enumerate(times)])
    monkeypatch.setattr(protowire, "VECTOR_TRACK", (1 << 62, 1 << 62))
    walked = _encoded(tracks, marks)
    monkeypatch.setattr(protowire, "VECTOR_TRACK", (0, 0))
    monkeypatch.setattr(protowire, "VECTOR_MIN", 1)
    monkeypatch.setattr(protowire, "VECTOR_PIECE", rng.choice([1, 7, 64, 1000]))
    used = []
    from concurtrace.exporters.protowire_numpy import VectorTrack

    encode = VectorTrack.encode

    def counted(*args: object, **kwargs: object) -> object:
        got = encode(*args, **kwargs)  # type: ignore[arg-type]
        used.append(got is not None)
        return got

    monkeypatch.setattr(VectorTrack, "encode", counted)
    assert _encoded(tracks, marks) == walked
    assert any(used)  # numpy wrote some pieces (others needed clamping: the walk did them)
