"""Timeline <-> the summary dict ("concurtrace.summary/1", docs/summary-schema.md),
function slices aside.

The same dict is embedded in every trace, so `concurtrace summary TRACE` rebuilds
the run's facts without re-running it.
"""

from __future__ import annotations

import signal
from typing import Any, cast

from concurtrace.model.sentences import signal_name
from concurtrace.model.timeline import (
    Finding,
    GilHotspot,
    Process,
    Send,
    StateRun,
    TerminatedBy,
    Thread,
    Timeline,
)
from concurtrace.model.vocabulary import STATE_KEYS, FindingKind, GilMethod

SCHEMA = "concurtrace.summary/1"
PROCESS_KEYS = ("pid", "ppid", "os_ppid", "name", "cmdline", "daemon", "start_method",
                "started_ns", "ended_ns", "exit_code", "signal", "traced", "end_reason",
                "exc_type", "joined", "ran_target", "role", "execs")
THREAD_KEYS = ("pid", "tid", "name", "daemon", "started_ns", "ended_ns", "abandoned",
               "end_reason", "exc_type", "is_main", "stack")


def timeline_to_dict(timeline: Timeline) -> dict[str, Any]:
    processes, threads = [], []
    for proc in timeline.ordered_processes():
        row = {key: getattr(proc, key) for key in PROCESS_KEYS}
        row["terminated_by"] = ({"pid": proc.terminated_by.pid, "reason": proc.terminated_by.reason}
                                if proc.terminated_by else None)
        row["handled_signal"] = _handled_to_dict(proc.handled)
        if row["handled_signal"] is not None and proc.handled_also:
            row["handled_signal"]["also"] = [_handled_to_dict(s) for s in proc.handled_also]
        processes.append(row)
        for thread in sorted(proc.threads.values(), key=lambda t: (not t.is_main, t.tid)):
            trow = {key: getattr(thread, key) for key in THREAD_KEYS}
            trow["states_ns"] = thread.states_ns()
            trow["gil_queued_ns"] = thread.gil_queued_ns()
            threads.append(trow)
    return {
        "schema": SCHEMA, "python": timeline.python, "gil": timeline.gil,
        "gil_method": timeline.gil_method, "started_ns": timeline.started_ns,
        "ended_ns": timeline.ended_ns, "root_pid": timeline.root_pid,
        "processes": processes, "threads": threads,
        "findings": [{"kind": f.kind, "pid": f.pid, "tid": f.tid, "message": f.message,
                      "advice": f.advice, "severity": f.severity} for f in timeline.findings],
        "notes": list(timeline.notes), "sampler": dict(timeline.sampler),
        "gil_hotspots": [{"process": h.process, "function": h.function, "gil_ns": h.gil_ns}
                         for h in timeline.gil_hotspots],
        "sync": dict(timeline.sync_summary),
        "asyncio": dict(timeline.asyncio_summary),
    }


def timeline_from_dict(data: dict[str, Any]) -> Timeline:
    """The inverse of timeline_to_dict; thread states come back as one run per state."""
    timeline = Timeline(python=str(data.get("python", "")), gil=str(data.get("gil", "enabled")),
                        # A trace saved by another version may name a method or a finding
                        # kind this one does not know: kept as written.
                        gil_method=cast(GilMethod, str(data.get("gil_method", "none"))),
                        started_ns=int(data.get("started_ns") or 0),
                        ended_ns=int(data.get("ended_ns") or 0), root_pid=data.get("root_pid"))
    for row in data.get("processes", []):
        proc = Process(pid=int(row["pid"]), name=str(row.get("name", "?")))
        for key in PROCESS_KEYS[2:]:
            if key in row:
                setattr(proc, key, row[key])
        proc.ppid = row.get("ppid")
        killer = row.get("terminated_by")
        proc.terminated_by = TerminatedBy(killer.get("pid"), str(killer.get("reason"))) \
            if isinstance(killer, dict) else None
        proc.handled = _handled_from_dict(row.get("handled_signal"))
        handled_row = row.get("handled_signal")
        also = handled_row.get("also") if isinstance(handled_row, dict) else None
        proc.handled_also = [s for s in map(_handled_from_dict, also or []) if s is not None]
        timeline.processes[proc.pid] = proc
    for row in data.get("threads", []):
        owner = timeline.processes.get(int(row["pid"]))
        if owner is None:
            continue
        proc = owner
        thread = Thread(pid=proc.pid, tid=int(row["tid"]), name=str(row.get("name", "?")))
        for key in THREAD_KEYS[3:]:
            if key in row:
                setattr(thread, key, row[key])
        cursor = thread.started_ns or 0
        for state in STATE_KEYS:
            dur = int(row.get("states_ns", {}).get(state, 0))
            if dur:
                queued = int(row.get("gil_queued_ns") or 0) if state == "gil" else 0
                thread.states.append(StateRun(cursor, dur, state, min(queued, dur)))
                cursor += dur
        proc.threads[thread.tid] = thread
    timeline.findings = [Finding(kind=cast(FindingKind, str(f.get("kind"))), pid=f.get("pid"),
                                 tid=f.get("tid"),
                                 message=str(f.get("message", "")), advice=str(f.get("advice", "")),
                                 severity=int(f.get("severity", 1)))
                         for f in data.get("findings", [])]
    timeline.notes = list(data.get("notes", []))
    timeline.sampler = dict(data.get("sampler", {}))
    timeline.gil_hotspots = [GilHotspot(str(h.get("process")), str(h.get("function")),
                                        int(h.get("gil_ns") or 0))
                             for h in data.get("gil_hotspots", []) if isinstance(h, dict)]
    timeline.sync_summary = dict(data.get("sync") or {})
    timeline.asyncio_summary = dict(data.get("asyncio") or {})
    return timeline


def _handled_to_dict(send: Send | None) -> dict[str, Any] | None:
    """A signal the process outlived: {"signal", "pid" (the sender, null for concurtrace),
    "reason", "ts_ns"} or null."""
    if send is None:
        return None
    return {"signal": signal_name(send.signum), "pid": send.sender, "reason": send.reason,
            "ts_ns": send.ts}


def _handled_from_dict(row: object) -> Send | None:
    if not isinstance(row, dict):
        return None
    try:
        signum = int(signal.Signals[str(row.get("signal"))])
    except KeyError:
        return None
    ts = int(row.get("ts_ns") or 0)
    return Send(ts, ts, row.get("pid"), signum, str(row.get("reason", "terminate")))
