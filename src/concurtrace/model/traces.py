"""VizTracer's per-process events -> function slices on the right threads."""

from __future__ import annotations

import math
from array import array
from collections.abc import Iterable, Sequence
from typing import Any, Protocol, cast

from concurtrace.model.column_kernels import STDLIB
from concurtrace.model.plain import Plain
from concurtrace.model.records import Finalize
from concurtrace.model.slice_columns import SliceColumns
from concurtrace.model.slice_merge import NEVER, ColumnMerge, joined, resorted, sorted_by_start
from concurtrace.model.timeline import Process, Thread

GENERIC_THREAD_NAMES = ("Dummy-", "Thread-")


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


class Event(Plain):
    """A TraceEvent checked field by field (from JSON that is not VizTracer's exact output)."""

    ph: str | None
    ts: float | None
    dur: float | None
    tid: int | None
    name: str | None
    args: Any

    __slots__ = ("ph", "ts", "dur", "tid", "name", "args")

    def __init__(self, ph: str | None, ts: float | None, dur: float | None, tid: int | None,
                 name: str | None, args: Any = None) -> None:
        self.ph = ph
        self.ts = ts
        self.dur = dur
        self.tid = tid
        self.name = name
        self.args = args


class CallColumns(Protocol):
    """A piece of plain calls already in columns (runner/vizscan.py scans them from the
    dump's bytes): what ColumnMerge.whole_chunk would make of the same events."""

    names: list[str]  # the piece's distinct names
    end_us: float  # max(ts + dur) in us, as floats: the check of ColumnKernels.times

    def threads(self, ids: Sequence[int]) -> list[tuple[int, array[int], array[int],
                                                        array[int]]]:
        """(tid, start ns "q", duration ns "q", name id "I") per thread, in the order the
        threads first appear, each in the dump's order; ids[i]: the id of names[i]."""

    def events(self) -> DecodedEvents:
        """The same piece decoded event by event."""


DecodedEvents = Sequence[TraceEvent] | list[dict[str, Any]]  # a piece of a dump, decoded
TraceEvents = DecodedEvents | CallColumns  # a piece of a dump


class MergedCalls(Plain):
    """One process's calls merged from its dump: sorted columns by thread, and the thread
    names the dump gives. A pure function of the dump, its stop time and its fork tid,
    so a worker process can build it (its arrays pickle as bytes)."""

    by_tid: dict[int, SliceColumns]
    names: dict[int, str]

    __slots__ = ("by_tid", "names")

    def __init__(self, by_tid: dict[int, SliceColumns], names: dict[int, str]) -> None:
        self.by_tid = by_tid
        self.names = names


def merge_calls(pid: int, chunks: Iterable[TraceEvents], stop_ns: int | None,
                fork_tid: int | None = None) -> MergedCalls:
    """chunks: the process's events, in pieces (runner/collect.py streams them).
    stop_ns: when its tracing stopped (its finalize record), None if unknown.
    fork_tid: VizTracer keeps the forking thread's tid in a forked child
    (upstream issue 604); the child's only thread then is its main thread.
    Calls still open when tracing stopped (abandoned threads, os._exit, a fatal
    signal) end at the stop point and are marked unfinished instead of looking
    like normal returns."""
    names: dict[int, str] = {}
    kernels = getattr(chunks, "kernels", None) or STDLIB  # the reader may offer faster ones
    merge = ColumnMerge(stop_ns if stop_ns is not None else NEVER, kernels)
    for piece_events in chunks:
        if not isinstance(piece_events, Sequence):  # CallColumns
            if merge.call_columns(piece_events):
                continue
            piece_events = piece_events.events()  # calls open at the stop: one by one
        events = _typed(piece_events)
        if not merge.whole_chunk(events):
            merge.event_by_event(events, names)
        del piece_events, events  # not held while the next chunk is decoded
    by_tid = merge.by_tid
    if fork_tid is not None and fork_tid != pid:
        if fork_tid in by_tid:
            moved = by_tid.pop(fork_tid)
            by_tid[pid] = joined(by_tid[pid], moved) if pid in by_tid else moved
        if fork_tid in names:
            names[pid] = names.pop(fork_tid)
    for tid in list(by_tid):
        by_tid[tid] = sorted_by_start(SliceColumns(by_tid[tid].names), by_tid[tid], kernels)
    return MergedCalls(by_tid, names)


def apply_merged(proc: Process, merged: MergedCalls) -> int:
    """Puts merged calls on proc's threads (a thread the records do not name is added);
    returns how many."""
    added = 0
    for tid, slices in merged.by_tid.items():
        added += len(slices)
        thread = proc.threads.get(tid)
        if thread is None:
            thread = proc.threads[tid] = Thread(pid=proc.pid, tid=tid, name="")
        thread.slices = resorted(joined(thread.slices, slices)) if thread.slices else slices
    for tid, name in merged.names.items():
        thread = proc.threads.get(tid)
        if thread is not None and not thread.name and not name.startswith(GENERIC_THREAD_NAMES):
            thread.name = name
    return added


def apply_slices(proc: Process, chunks: Iterable[TraceEvents], finalize: Finalize | None,
                 fork_tid: int | None = None) -> int:
    """Adds complete ("X") events as slices (merge_calls, then apply_merged); returns how
    many."""
    stop_ns = int(finalize["ts"]) if finalize is not None else None
    return apply_merged(proc, merge_calls(proc.pid, chunks, stop_ns, fork_tid))


def _typed(events: DecodedEvents) -> Sequence[TraceEvent]:
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
