"""The columnar merge gives exactly what the one-object-per-call merge gave."""

from __future__ import annotations

import random
import tracemalloc
from operator import attrgetter
from typing import Any

from concurtrace.model.slice_columns import Slice, SliceColumns
from concurtrace.model.timeline import Process
from concurtrace.model.traces import Event, apply_slices


def _reference(chunks: list[list[Event]], stop_ns: int) -> dict[int, list[tuple[Any, ...]]]:
    """The merge as it was before the columns (a928498), per thread."""
    by_tid: dict[int, list[Slice]] = {}
    for events in chunks:
        for event in events:
            if event.ph != "X" or event.ts is None or event.dur is None or event.tid is None:
                continue
            start, dur = int(event.ts * 1000), int(event.dur * 1000)
            if start < 0:
                continue
            piece = Slice(start, dur if dur > 0 else 0, str(event.name))
            if start + dur >= stop_ns:
                piece.dur, piece.args = max(0, stop_ns - start), {"unfinished": True}
            by_tid.setdefault(event.tid, []).append(piece)
    out = {}
    for tid, pieces in by_tid.items():
        pieces.reverse()
        pieces.sort(key=attrgetter("ts"))
        out[tid] = [(s.ts, s.dur, s.name, s.args) for s in pieces]
    return out


def _calls(rng: random.Random, tids: list[int], count: int) -> list[Event]:
    """Nested calls written at return (children first), threads interleaved, with ties,
    zero and negative durations and times just below zero."""
    events = []
    clock = {tid: rng.uniform(-0.0009, 5.0) for tid in tids}
    for _ in range(count):
        tid = rng.choice(tids)
        start = clock[tid]
        depth = rng.randint(1, 4)
        inner_end = start
        for level in range(depth):  # innermost first, as VizTracer writes them
            ts = start if rng.random() < 0.3 else max(start - 0.001 * level, -0.0009)
            dur = inner_end - ts + rng.choice([0.0, 0.001, 0.5, -0.002])
            events.append(Event("X", ts, dur, tid, f"f{rng.randint(0, 5)}"))
            inner_end = ts + max(dur, 0.0)
            start = ts
        clock[tid] = inner_end + rng.uniform(0.0, 2.0)
    return events


def test_columnar_merge_matches_the_object_merge() -> None:
    rng = random.Random(18)
    for case in range(40):
        tids = [100, 101, 102][: 1 + case % 3]
        events = _calls(rng, tids, 300)
        if case % 4 == 0:  # metadata: that chunk goes event by event
            events.insert(0, Event("M", None, None, tids[0], "thread_name", {"name": "T"}))
        size = rng.randint(5, 200)
        chunks = [events[i:i + size] for i in range(0, len(events), size)]
        ends = [int(e.ts * 1000) + int(e.dur * 1000) for e in events if e.ts and e.dur]
        stop_ns = sorted(ends)[len(ends) * 9 // 10] if case % 2 else 1 << 64
        proc = Process(pid=100, name="p")
        finalize = {"ts": stop_ns} if stop_ns < 1 << 64 else None
        added = apply_slices(proc, chunks, finalize)
        got = {tid: [(s.ts, s.dur, s.name, s.args) for s in thread.slices]
               for tid, thread in proc.threads.items() if thread.slices}
        assert got == _reference(chunks, stop_ns), case
        assert added == sum(map(len, got.values()))


def test_slices_handed_out_keep_what_is_added_to_them() -> None:
    columns = SliceColumns.of([Slice(0, 10, "a"), Slice(2, 3, "b", args={"x": 1})])
    columns[0].flows_out = [7]  # as the lifecycle links a call to an instant
    assert columns[0].flows_out == [7] and columns.carrying() == [0, 1]
    assert [s.name for s in columns] == ["a", "b"] and columns[1:][0].args == {"x": 1}
    taken = columns.take([1])
    assert len(taken) == 1 and taken[0].args == {"x": 1} and taken.carrying() == [0]


def test_a_million_calls_fit_in_a_fraction_of_the_objects_memory() -> None:
    """Held as columns, a call costs ~20 bytes (a Slice object cost ~140: issue 18)."""
    count = 100_000
    events = [Event("X", 1000.0 + i * 0.01, 0.005, 7, f"f{i % 50}") for i in range(count)]
    proc = Process(pid=7, name="p")
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        apply_slices(proc, [events[i:i + 30_000] for i in range(0, count, 30_000)], None)
        held = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert len(proc.threads[7].slices) == count
    assert held / count < 40, f"{held / count:.0f} bytes per call"


def test_times_no_column_holds_are_dropped_not_fatal() -> None:
    # ts in us past 2**63 ns (a broken dump), and a call without a name
    proc = Process(pid=1, name="p")
    chunks = [[Event("X", 1e16, 1.0, 1, "far"), Event("X", 5.0, 1.0, 1, "ok")],
              [Event("X", 1e16, 1.0, 1, "far")], [Event("X", 1.0, 1.0, 1, None)]]
    assert apply_slices(proc, chunks, None) == 1
    assert [(s.ts, s.dur, s.name) for s in proc.threads[1].slices] == [(5000, 1000, "ok")]
