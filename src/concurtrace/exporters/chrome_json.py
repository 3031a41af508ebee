"""Timeline -> Chrome JSON trace: the same content as .pftrace minus parent pids.

State tracks have no nesting in JSON: each "<thread> state" lane is a pseudo
thread whose tid is STATE_TID_BASE + the real tid (its name says so). So is each asyncio
track (task_tracks: the loop's blocks, one per task, a worker's executor calls), numbered
from TASK_TID_BASE in the order written. Flows use v2 binding (bind_id + flow_out/flow_in:
one per event, outgoing first); JSON counters are process-scoped.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from itertools import count
from typing import IO, Any

from concurtrace.exporters.common import SUMMARY_KEY, nested, state_slice
from concurtrace.exporters.task_tracks import task_tracks
from concurtrace.model.serialize import timeline_to_dict
from concurtrace.model.timeline import Instant, Slice, Timeline

STATE_TID_BASE = 1_000_000_000
TASK_TID_BASE = 2_000_000_000


def _us(ns: int) -> float:
    return ns / 1000.0


class _Out:
    def __init__(self, stream: IO[str]) -> None:
        self.stream, self.first = stream, True

    def event(self, event: dict[str, Any]) -> None:
        self.stream.write(("" if self.first else ",\n") + json.dumps(event, default=str))
        self.first = False


def write(timeline: Timeline, stream: IO[str]) -> None:
    stream.write('{"displayTimeUnit": "ns", "traceEvents": [\n')
    out = _Out(stream)
    tasks, lanes = task_tracks(timeline), count(TASK_TID_BASE)
    for rank, proc in enumerate(timeline.ordered_processes()):
        pid = proc.pid
        out.event({"ph": "M", "pid": pid, "tid": pid, "name": "process_name",
                   "args": {"name": proc.label()}})
        out.event({"ph": "M", "pid": pid, "tid": pid, "name": "process_sort_index",
                   "args": {"sort_index": rank}})
        out.event({"ph": "M", "pid": pid, "tid": pid, "name": "process_labels",
                   "args": {"labels": " ".join(proc.cmdline)[:200]}})
        for thread in proc.threads.values():
            out.event({"ph": "M", "pid": pid, "tid": thread.tid, "name": "thread_name",
                       "args": {"name": thread.name}})
            _slices(out, pid, thread.tid, thread.slices)
            if thread.states:
                lane = STATE_TID_BASE + thread.tid
                out.event({"ph": "M", "pid": pid, "tid": lane, "name": "thread_name",
                           "args": {"name": f"{thread.name} state"}})
                _slices(out, pid, lane, [state_slice(run) for run in thread.states])
            for name, slices, _instants in tasks.get((pid, thread.tid), []):
                lane = next(lanes)
                out.event({"ph": "M", "pid": pid, "tid": lane, "name": "thread_name",
                           "args": {"name": name}})
                _slices(out, pid, lane, slices)
        for mark in proc.instants:
            _instant(out, mark)
        for series in timeline.counters:
            if series.pid == pid:
                for ts, value in series.points:
                    out.event({"ph": "C", "pid": pid, "tid": pid, "ts": _us(ts),
                               "name": series.name, "args": {series.name: value}})
    if timeline.root_pid is not None:
        out.event({"ph": "i", "s": "t", "pid": timeline.root_pid, "tid": timeline.root_pid,
                   "ts": _us(timeline.started_ns), "name": "concurtrace session",
                   "args": {SUMMARY_KEY: json.dumps(timeline_to_dict(timeline))}})
    stream.write("\n]}\n")


def _slices(out: _Out, pid: int, tid: int, slices: Sequence[Slice]) -> None:
    begins: dict[int, int] = {}
    for kind, ts, piece in nested(slices):
        if kind == "begin":
            begins[id(piece)] = ts
            continue
        start = begins.pop(id(piece), piece.ts)
        event: dict[str, Any] = {"ph": "X", "pid": pid, "tid": tid, "ts": _us(start),
                                 "dur": _us(ts - start), "name": piece.name}
        if piece.args:
            event["args"] = piece.args
        _flows(event, piece.flows_out, piece.flows_in)
        out.event(event)


def _instant(out: _Out, mark: Instant) -> None:
    event: dict[str, Any] = {"ph": "i", "s": "t", "pid": mark.pid, "tid": mark.tid or mark.pid,
                             "ts": _us(mark.ts), "name": mark.name, "args": dict(mark.args)}
    _flows(event, mark.flows_out, mark.flows_in)
    out.event(event)


def _flows(event: dict[str, Any], flows_out: list[int] | None, flows_in: list[int] | None) -> None:
    # v2 flows allow one binding per event: outgoing wins, then incoming.
    if flows_out:
        event.update(bind_id=flows_out[0], flow_out=True)
    elif flows_in:
        event.update(bind_id=flows_in[0], flow_in=True)
