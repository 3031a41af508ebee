"""The columnar merge of one process's calls: decoded dump chunks -> sorted SliceColumns.

Plain chunks are added column by column with C-level maps (no Python loop per call);
anything else goes event by event, exactly as the one-object-per-call merge did
(tests/test_slice_columns.py compares the two). Standard library only.
"""

from __future__ import annotations

from array import array
from collections.abc import Sequence
from itertools import compress
from operator import attrgetter
from typing import TYPE_CHECKING, cast

from concurtrace.model.column_kernels import STDLIB, ColumnKernels
from concurtrace.model.slice_columns import Slice, SliceColumns

if TYPE_CHECKING:
    from concurtrace.model.traces import CallColumns, TraceEvent

NEVER = 1 << 64
LAST_NS = (1 << 63) - 1  # the latest time an int64 column (and a trace packet) holds


class ColumnMerge:
    """One process's calls by thread, in the dump's order (the order calls returned)."""

    def __init__(self, stop_ns: int, kernels: ColumnKernels = STDLIB) -> None:
        self.stop_ns, self.kernels = stop_ns, kernels
        self.names: list[str] = []  # one string per function name, shared by the threads
        self.ids: dict[str, int] = {}
        self.by_tid: dict[int, SliceColumns] = {}

    def columns(self, tid: int) -> SliceColumns:
        found = self.by_tid.get(tid)
        if found is None:
            found = self.by_tid[tid] = SliceColumns(self.names)
        return found

    def whole_chunk(self, events: Sequence[TraceEvent]) -> bool:
        """Adds a chunk of plain calls column by column, without a Python loop per call;
        False (nothing added) when it holds anything else: metadata, a missing field, a
        call that may be open at the stop, a negative or infinite time (the event by
        event path then takes it, as exactly as before)."""
        if not events or set(map(_PH, events)) != {"X"}:
            return False
        tids = dict.fromkeys(map(_TID, events))
        if None in tids:
            return False
        times = self.kernels.times(list(map(_TS, events)), list(map(_DUR, events)),
                                   min(self.stop_ns, LAST_NS) - 1000)
        if times is None:
            return False
        calls = list(map(_NAME, events))
        name_ids = list(map(self.ids.get, calls))
        if None in name_ids:
            if None in calls:
                return False
            for name in sorted(set(calls).difference(self.ids)):
                self.ids[name] = len(self.names)
                self.names.append(name)
            name_ids = list(map(self.ids.get, calls))
        ids = cast(list[int], name_ids)
        if len(tids) == 1:
            columns = self.columns(cast(int, next(iter(tids))))
            columns.ts.extend(times[0])
            columns.dur.extend(times[1])
            columns.name_ids.extend(ids)
            return True
        every = list(map(_TID, events))
        for tid in tids:
            columns = self.columns(cast(int, tid))
            mine = list(map(cast(int, tid).__eq__, every))
            columns.ts.extend(compress(times[0], mine))
            columns.dur.extend(compress(times[1], mine))
            columns.name_ids.extend(compress(ids, mine))
        return True

    def call_columns(self, piece: CallColumns) -> bool:
        """Adds a piece scanned into columns, as whole_chunk would add its events; False
        (nothing added) when a call may be open at the stop."""
        if piece.end_us * 1000 >= min(self.stop_ns, LAST_NS) - 1000:
            return False
        for name in sorted(set(piece.names).difference(self.ids)):
            self.ids[name] = len(self.names)
            self.names.append(name)
        for tid, ts, dur, name_ids in piece.threads(list(map(self.ids.__getitem__,
                                                             piece.names))):
            columns = self.columns(tid)
            columns.ts.extend(ts)
            columns.dur.extend(dur)
            columns.name_ids.extend(name_ids)
        return True

    def event_by_event(self, events: Sequence[TraceEvent], names: dict[int, str]) -> None:
        stop_ns, last_tid = self.stop_ns, None
        columns = SliceColumns(self.names)
        for event in events:
            ts, dur_us, tid, name = event.ts, event.dur, event.tid, event.name
            if event.ph != "X" or ts is None or dur_us is None or tid is None or name is None:
                if event.ph == "M" and name == "thread_name" and tid is not None:
                    args = event.args
                    names[tid] = str(args.get("name", "") if isinstance(args, dict) else "")
                continue
            try:
                start, dur = int(ts * 1000), int(dur_us * 1000)
            except (OverflowError, ValueError):  # inf, nan
                continue
            if start < 0 or start + max(dur, 0) > LAST_NS:  # not a time a column holds
                continue
            if tid != last_tid:
                columns, last_tid = self.columns(tid), tid
            piece = Slice(start, dur if dur > 0 else 0, name)
            if start + dur >= stop_ns:
                piece.dur = max(0, stop_ns - start)
                piece.args = {"unfinished": True}
            columns.append(piece, self.ids)


_PH, _TS, _DUR, _TID, _NAME = map(attrgetter, ("ph", "ts", "dur", "tid", "name"))


def joined(first: SliceColumns, then: SliceColumns) -> SliceColumns:
    """first's slices followed by then's."""
    if not then.ts:
        return first
    if not first.ts:
        return then
    joined = first.take(range(len(first)))
    joined.extend(then)
    return joined


def sorted_by_start(existing: SliceColumns, dumped: SliceColumns,
                    kernels: ColumnKernels = STDLIB) -> SliceColumns:
    """existing (sorted) and dumped merged, sorted by start, a parent before its children.

    VizTracer writes a call when it returns, so a parent comes after its children;
    reversed, a stable sort by start puts a parent first when both start together."""
    backwards = SliceColumns(dumped.names)
    backwards.ts, backwards.dur, backwards.name_ids = (
        dumped.ts[::-1], dumped.dur[::-1], dumped.name_ids[::-1])
    last = len(dumped) - 1
    backwards.objects = {last - i: piece for i, piece in dumped.objects.items()}
    dumped.ts, dumped.dur, dumped.name_ids = array("q"), array("q"), array("I")  # freed now
    combined = joined(existing, backwards)
    return resorted(combined, kernels, consume=combined is backwards)


def resorted(combined: SliceColumns, kernels: ColumnKernels = STDLIB,
             consume: bool = False) -> SliceColumns:
    """combined sorted by start, stably (equal starts keep their order).
    consume: combined is the caller's to lose (its columns may be emptied)."""
    if len(combined) < 2:
        return combined
    result = SliceColumns(combined.names)
    result.ts, result.dur, result.name_ids, order = kernels.by_start(
        combined.ts, combined.dur, combined.name_ids, consume)
    if combined.objects:
        result.objects = combined.moved_objects(order)
    return result
