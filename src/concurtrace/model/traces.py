"""VizTracer's per-process events -> function slices on the right threads."""

from __future__ import annotations

import math
from array import array
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import compress, repeat
from operator import add, and_, attrgetter, lshift, mul
from typing import Any, Protocol, cast

from concurtrace.model.records import RawRecord
from concurtrace.model.slice_columns import SliceColumns
from concurtrace.model.timeline import Process, Slice, Thread

GENERIC_THREAD_NAMES = ("Dummy-", "Thread-")
NEVER = 1 << 64
LAST_NS = (1 << 63) - 1  # the latest time an int64 column (and a trace packet) holds


class TraceEvent(Protocol):
    """One event of VizTracer's dump (Chrome trace format), as runner/collect.py decodes it:
    an "X" event has a float ts and dur (us), an int tid and a str name; others are "M"
    metadata (thread_name, with args) or skipped. Absent fields are None."""

    @property
    def ph(self) -> str | None: ...
    @property
    def ts(self) -> float | None: ...
    @property
    def dur(self) -> float | None: ...
    @property
    def tid(self) -> int | None: ...
    @property
    def name(self) -> str | None: ...
    @property
    def args(self) -> Any: ...


@dataclass(slots=True)
class Event:
    """A TraceEvent checked field by field (from JSON that is not VizTracer's exact output)."""

    ph: str | None
    ts: float | None
    dur: float | None
    tid: int | None
    name: str | None
    args: Any = None


TraceEvents = Sequence[TraceEvent] | list[dict[str, Any]]  # one piece of a process's events


def apply_slices(proc: Process, chunks: Iterable[TraceEvents], finalize: RawRecord | None,
                 fork_tid: int | None = None) -> int:
    """Adds complete ("X") events as slices; returns how many.

    chunks: the process's events, in pieces (runner/collect.py streams them).
    fork_tid: VizTracer keeps the forking thread's tid in a forked child
    (upstream issue 604); the child's only thread then is its main thread.
    Calls still open when tracing stopped (abandoned threads, os._exit, a fatal
    signal) end at the stop point and are marked unfinished instead of looking
    like normal returns.
    """
    stop_ns = int(finalize["ts"]) if finalize is not None else NEVER
    names: dict[int, str] = {}
    merge = _Merge(stop_ns)
    for piece_events in chunks:
        events = _typed(piece_events)
        if not merge.whole_chunk(events):
            merge.event_by_event(events, names)
        del piece_events, events  # not held while the next chunk is decoded
    by_tid = merge.by_tid
    if fork_tid is not None and fork_tid != proc.pid:
        if fork_tid in by_tid:
            moved = by_tid.pop(fork_tid)
            by_tid[proc.pid] = _joined(by_tid[proc.pid], moved) if proc.pid in by_tid else moved
        if fork_tid in names:
            names[proc.pid] = names.pop(fork_tid)
    added = sum(len(slices) for slices in by_tid.values())
    for tid, slices in by_tid.items():
        thread = proc.threads.get(tid)
        if thread is None:
            thread = proc.threads[tid] = Thread(pid=proc.pid, tid=tid, name="")
        thread.slices = _sorted(thread.slices, slices)
    for tid, name in names.items():
        thread = proc.threads.get(tid)
        if thread is not None and not thread.name and not name.startswith(GENERIC_THREAD_NAMES):
            thread.name = name
    return added


class _Merge:
    """One process's calls by thread, in the dump's order (the order calls returned)."""

    def __init__(self, stop_ns: int) -> None:
        self.stop_ns = stop_ns
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
        ts_us, dur_us = list(map(_TS, events)), list(map(_DUR, events))
        tids = dict.fromkeys(map(_TID, events))
        if None in tids or None in ts_us or None in dur_us:
            return False
        floats = cast(list[float], ts_us), cast(list[float], dur_us)
        # int(x * 1000) is monotonic, so the bounds of the floats bound the ints.
        if min(floats[0]) < 0 or min(floats[1]) < 0 or not math.isfinite(max(floats[0])) \
                or not math.isfinite(max(floats[1])) \
                or max(map(add, *floats)) * 1000 >= min(self.stop_ns, LAST_NS) - 1000:
            return False
        calls = list(map(_NAME, events))
        if None in calls:
            return False
        for name in sorted(set(calls).difference(self.ids)):
            self.ids[name] = len(self.names)
            self.names.append(name)
        if len(tids) == 1:
            columns = self.columns(cast(int, next(iter(tids))))
            columns.ts.extend(map(int, map(mul, floats[0], repeat(1000))))
            columns.dur.extend(map(int, map(mul, floats[1], repeat(1000))))
            columns.name_ids.extend(map(self.ids.__getitem__, calls))
            return True
        every = list(map(_TID, events))
        for tid in tids:
            columns = self.columns(cast(int, tid))
            mine = list(map(cast(int, tid).__eq__, every))
            columns.ts.extend(map(int, map(mul, compress(floats[0], mine), repeat(1000))))
            columns.dur.extend(map(int, map(mul, compress(floats[1], mine), repeat(1000))))
            columns.name_ids.extend(map(self.ids.__getitem__, compress(calls, mine)))
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


def _joined(first: SliceColumns, then: SliceColumns) -> SliceColumns:
    """first's slices followed by then's."""
    if not then.ts:
        return first
    if not first.ts:
        return then
    joined = first.take(range(len(first)))
    joined.extend(then)
    return joined


def _sorted(existing: SliceColumns, dumped: SliceColumns) -> SliceColumns:
    """existing (sorted) and dumped merged, sorted by start, a parent before its children.

    VizTracer writes a call when it returns, so a parent comes after its children;
    reversed, a stable sort by start puts a parent first when both start together."""
    backwards = SliceColumns(dumped.names)
    backwards.ts, backwards.dur, backwards.name_ids = (
        dumped.ts[::-1], dumped.dur[::-1], dumped.name_ids[::-1])
    last = len(dumped) - 1
    backwards.objects = {last - i: piece for i, piece in dumped.objects.items()}
    dumped.ts, dumped.dur, dumped.name_ids = array("q"), array("q"), array("I")  # freed now
    combined = _joined(existing, backwards)
    del backwards
    count = len(combined)
    if count < 2:
        return combined
    # Sorting ints (start << bits | position) keeps it stable without a key; an int each
    # (~40 bytes) is the peak of the post-run's memory, so nothing else is held as a list.
    bits = count.bit_length()
    packed = list(map(add, map(lshift, combined.ts, repeat(bits)), range(count)))
    packed.sort()
    order = array("q", map(and_, packed, repeat((1 << bits) - 1)))
    del packed
    result = SliceColumns(combined.names)
    result.ts = array("q", map(combined.ts.__getitem__, order))
    result.dur = array("q", map(combined.dur.__getitem__, order))
    result.name_ids = array("I", map(combined.name_ids.__getitem__, order))
    if combined.objects:
        result.objects = combined.take(order).objects
    return result


def _typed(events: TraceEvents) -> Sequence[TraceEvent]:
    if events and not hasattr(events[0], "ts"):  # plain dicts (or junk) from JSON
        return events_from_dicts(events)
    return cast(Sequence[TraceEvent], events)


def events_from_dicts(raw: Iterable[Any]) -> list[Event]:
    """Decoded JSON events -> checked Events (what is not an "X" or thread_name is dropped)."""
    events = []
    for item in raw:
        if not isinstance(item, dict):
            continue
        tid = item.get("tid")
        if item.get("ph") == "M" and item.get("name") == "thread_name" and isinstance(tid, int):
            events.append(Event("M", None, None, tid, "thread_name", item.get("args")))
            continue
        checked = _checked(item)
        if checked is not None:
            events.append(Event("X", *checked))
    return events


def _number(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _checked(event: dict[str, Any]) -> tuple[float, float, int, str] | None:
    """An "X" event that is not VizTracer's exact output, validated field by field."""
    tid = event.get("tid")
    if event.get("ph") != "X" or not isinstance(tid, int) or isinstance(tid, bool):
        return None
    ts, dur = _number(event.get("ts")), _number(event.get("dur", 0))
    if ts is None or dur is None:
        return None
    return ts, dur, tid, str(event.get("name", "?"))
