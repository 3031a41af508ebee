"""VizTracer's per-process events -> function slices on the right threads."""

from __future__ import annotations

from typing import Any

from concurtrace.model.records import Record
from concurtrace.model.timeline import Process, Slice, Thread

TraceEvents = list[dict[str, Any]]  # VizTracer's "traceEvents" list (Chrome trace format)
GENERIC_THREAD_NAMES = ("Dummy-", "Thread-")


def apply_slices(proc: Process, events: TraceEvents, finalize: Record | None,
                 fork_tid: int | None = None) -> int:
    """Adds complete ("X") events as slices; returns how many.

    fork_tid: VizTracer keeps the forking thread's tid in a forked child
    (upstream issue 604); the child's only thread then is its main thread.
    Calls still open when tracing stopped (abandoned threads, os._exit, a fatal
    signal) end at the stop point and are marked unfinished instead of looking
    like normal returns.
    """
    stop_ns = int(finalize["ts"]) if finalize is not None else None
    count = 0
    names: dict[int, str] = {}
    for event in events:
        phase = event.get("ph")
        tid = event.get("tid")
        if not isinstance(tid, int):
            continue
        if fork_tid is not None and tid == fork_tid:
            tid = proc.pid
        if phase == "M" and event.get("name") == "thread_name":
            names[tid] = str(event.get("args", {}).get("name", ""))
            continue
        if phase != "X":
            continue
        try:
            start = int(float(event["ts"]) * 1000)
            dur = int(float(event.get("dur", 0)) * 1000)
        except (KeyError, TypeError, ValueError):
            continue
        thread = proc.threads.get(tid)
        if thread is None:
            thread = proc.threads[tid] = Thread(pid=proc.pid, tid=tid, name="")
        piece = Slice(ts=start, dur=max(dur, 0), name=str(event.get("name", "?")))
        if stop_ns is not None and piece.end >= stop_ns:
            piece.dur = max(0, stop_ns - piece.ts)
            piece.args = {"unfinished": True}
        thread.slices.append(piece)
        count += 1
    for tid, name in names.items():
        thread = proc.threads.get(tid)
        if thread is not None and not thread.name and not name.startswith(GENERIC_THREAD_NAMES):
            thread.name = name
    for thread in proc.threads.values():
        thread.slices.sort(key=lambda s: (s.ts, -s.dur))
    return count
