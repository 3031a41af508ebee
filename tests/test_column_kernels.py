"""numpy's bulk steps of the merge give exactly the standard library's columns."""

from __future__ import annotations

import random
from array import array
from pathlib import Path
from typing import cast

import pytest
from test_slice_columns import _calls, _reference

from concurtrace.model.column_kernels import STDLIB
from concurtrace.model.records import Finalize
from concurtrace.model.timeline import Process
from concurtrace.model.traces import Event, apply_slices
from concurtrace.runner import collect
from concurtrace.runner.numpy_kernels import KERNELS


class _Chunks(list[list[Event]]):
    kernels = KERNELS  # what runner/collect.TraceFiles offers for a large dump


def test_numpy_merge_matches_the_object_merge() -> None:
    rng = random.Random(1818)
    for case in range(40):
        tids = [100, 101, 102][: 1 + case % 3]
        events = _calls(rng, tids, 300)
        size = rng.randint(5, 200)
        chunks = _Chunks(events[i:i + size] for i in range(0, len(events), size))
        ends = [int(e.ts * 1000) + int(e.dur * 1000) for e in events if e.ts and e.dur]
        stop_ns = sorted(ends)[len(ends) * 9 // 10] if case % 2 else 1 << 64
        proc = Process(pid=100, name="p")
        finalize = cast(Finalize, {"ts": stop_ns}) if stop_ns < 1 << 64 else None
        apply_slices(proc, chunks, finalize)
        got = {tid: [(s.ts, s.dur, s.name, s.args) for s in thread.slices]
               for tid, thread in proc.threads.items() if thread.slices}
        assert got == _reference(chunks, stop_ns), case


@pytest.mark.parametrize("consume", [False, True])
def test_numpy_kernels_give_the_stdlib_arrays(consume: bool) -> None:
    rng = random.Random(7)
    # times as VizTracer writes them (us with 3 decimals), large, tied, and rounded badly
    micros = [rng.choice([0.0, 0.001, 0.0015, 1e-7, 22710024534.553, 9.2e15,
                          rng.uniform(0, 1e10), float(rng.randint(0, 5))]) for _ in range(5000)]
    durs = [rng.choice([0.0, 0.001, 12.015, 1e-7]) for _ in micros]
    late = (1 << 63) - 1001  # what the merge passes when the stop is unknown
    both = KERNELS.times(micros, durs, late)
    assert both is not None and both == STDLIB.times(micros, durs, late)
    ends = sorted(x + d for x, d in zip(micros, durs, strict=True))
    for bound in (int(ends[-1] * 1000), int(ends[-1] * 1000) + 1, 0):  # at, after, before
        assert KERNELS.times(micros, durs, bound) == STDLIB.times(micros, durs, bound)
    for bad in (None, -0.001, float("inf")):  # refused by both (the decoders pass no NaN)
        assert KERNELS.times([*micros, bad], [*durs, 1.0], late) is None
        assert STDLIB.times([*micros, bad], [*durs, 1.0], late) is None
        assert KERNELS.times([*micros, 1.0], [*durs, bad], late) is None
        assert STDLIB.times([*micros, 1.0], [*durs, bad], late) is None
    assert KERNELS.times([*micros, float("nan")], [*durs, 1.0], late) is None
    ts = array("q", (rng.randint(0, 50) * (1 << 40) for _ in range(5000)))  # many ties
    dur = array("q", (rng.randint(0, 1 << 62) for _ in range(5000)))
    ids = array("I", (rng.randint(0, (1 << 32) - 1) for _ in range(5000)))
    want = STDLIB.by_start(array("q", ts), dur, ids, consume)
    got = KERNELS.by_start(array("q", ts), dur, ids, consume)
    assert [list(x) for x in got] == [list(x) for x in want]
    assert [type(x) for x in got[:3]] == [array, array, array]
    assert [x.typecode for x in got[:3]] == ["q", "q", "I"]


def test_large_dumps_get_numpy_small_ones_the_stdlib(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    dump = tmp_path / "trace-5-1.json"
    dump.write_bytes(b'{"traceEvents":[]}')
    files = collect.TraceFiles(5, [dump], [])
    assert files.kernels is None  # 18 bytes: numpy's import would cost more than it saves
    monkeypatch.setattr(collect, "NUMPY_MIN_BYTES", 10)
    assert files.kernels is KERNELS


def test_without_numpy_the_stdlib_merges_and_the_python_walk_encodes(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import io
    import sys

    from concurtrace.exporters import protowire
    from concurtrace.model.slice_columns import Slice, SliceColumns

    monkeypatch.setitem(sys.modules, "concurtrace.runner.numpy_kernels", None)  # ImportError
    monkeypatch.setitem(sys.modules, "concurtrace.runner.vizscan", None)
    monkeypatch.setitem(sys.modules, "concurtrace.exporters.protowire_numpy", None)
    monkeypatch.setattr(collect, "NUMPY_MIN_BYTES", 0)
    monkeypatch.setattr(protowire, "VECTOR_TRACK", (0, 0))
    dump = tmp_path / "trace-5-1.json"
    dump.write_bytes(b'{"traceEvents":[]}')
    assert collect.TraceFiles(5, [dump], []).kernels is None
    assert collect.TraceFiles(5, [dump], [])._scanner() is None  # decoded with msgspec
    stream = io.BytesIO()
    protowire.SliceEncoder(1).track(2, SliceColumns.of([Slice(1000, 5, "f")] * 2000),
                                    protowire.PacketSink(stream, compress=False),
                                    lambda piece: b"", [])
    assert len(stream.getvalue()) > 2000 * 2 * 20  # every begin and end written
