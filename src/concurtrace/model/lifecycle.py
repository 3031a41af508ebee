"""Lifecycle instants with human names, and the flows that link cause to effect."""

from __future__ import annotations

import bisect
from itertools import count
from typing import Any, NamedTuple

from concurtrace.model.records import Join, ProcessStart, RawRecord, Reaped, Record, ThreadStart
from concurtrace.model.sentences import (
    CUT_THREAD,
    exit_sentence,
    received_sentence,
    signal_name,
    start_sentence,
    thread_sentence,
)
from concurtrace.model.sources import RecordIndex
from concurtrace.model.timeline import Instant, Process, Send, Slice, Thread, Timeline

CALL_SLACK_NS = 50_000  # the call's slice may end a little after our hook's clock read


def call_slice(thread: Thread | None, start_ts: int, end_ts: int) -> Slice | None:
    """The outermost traced call that ran inside [start_ts, end_ts] (e.g. BaseProcess.start)."""
    if thread is None or not thread.slices:
        return None
    slices = thread.slices
    index = bisect.bisect_left(slices, start_ts, key=lambda s: s.ts)
    while index < len(slices) and slices[index].ts <= end_ts:
        if slices[index].end <= end_ts + CALL_SLACK_NS:
            return slices[index]
        index += 1
    return None


class CallSite(NamedTuple):
    """Where a hooked call ran: the writer, its thread, and when the call began and ended."""

    pid: int
    tid: int | None
    start_ts: int
    ts: int


def _call_site(record: ProcessStart | ThreadStart, tid: int | None) -> CallSite:
    ts = int(record["ts"])
    return CallSite(int(record["pid"]), tid, int(record.get("start_ts", ts)), ts)


class _Linker:
    def __init__(self, timeline: Timeline) -> None:
        self.timeline, self.ids = timeline, count(1)

    def instant(self, proc: Process, tid: int, ts: int, name: str, args: dict[str, Any]) -> Instant:
        mark = Instant(ts=ts, name=name, pid=proc.pid, tid=tid, args=args)
        proc.instants.append(mark)
        return mark

    def link(self, source: Slice | Instant, target: Slice | Instant) -> None:
        flow = next(self.ids)
        source.flows_out = (source.flows_out or []) + [flow]
        target.flows_in = (target.flows_in or []) + [flow]

    def call_site(self, site: CallSite | None, label: str) -> Slice | Instant | None:
        """The caller's slice for a hooked call, or a small instant when untraced."""
        if site is None:
            return None
        proc = self.timeline.processes.get(site.pid)
        if proc is None:
            return None
        tid = int(site.tid or proc.pid or 0)
        start = site.start_ts
        found = call_slice(proc.threads.get(tid), start, site.ts)
        if found is not None:
            return found
        if tid not in proc.threads:
            proc.threads[tid] = Thread(pid=proc.pid, tid=tid, name=f"Thread {tid}")
        return self.instant(proc, tid, start, label, {"call": label})


def _first_slice(thread: Thread | None) -> Slice | None:
    return thread.slices[0] if thread is not None and thread.slices else None


def add_lifecycle(timeline: Timeline, records: list[RawRecord]) -> None:
    linker = _Linker(timeline)
    index = RecordIndex(records)
    for proc in timeline.processes.values():
        _process_events(linker, proc, index.about.get(proc.pid, []))
        starts = {int(tid): r for r in index.own.get(proc.pid, [])
                  if r["ev"] == "thread_start" and (tid := r.get("tid")) is not None}
        for thread in list(proc.threads.values()):
            _thread_events(linker, proc, thread, starts.get(thread.tid))


def _process_events(linker: _Linker, proc: Process, about: list[Record]) -> None:
    main = proc.threads[proc.pid]
    parent = linker.timeline.processes.get(proc.ppid) if proc.ppid else None
    start_args: dict[str, Any] = {"event": "process_start", "daemon": bool(proc.daemon)}
    start_mark = linker.instant(proc, proc.pid, proc.started_ns or 0,
                                start_sentence(proc, parent), start_args)
    starts = [r for r in about if r["ev"] == "process_start" and r["pid"] == proc.ppid]
    start_site = _call_site(starts[-1], starts[-1].get("tid")) if starts else None
    source = linker.call_site(start_site, f"start {proc.name}")
    if source is not None:
        linker.link(source, _first_slice(main) or start_mark)
    for done in proc.execs:  # on the main thread: exec ends every other one
        words = " ".join(done["argv"])
        linker.instant(proc, proc.pid, int(done["ts_ns"]),
                       f"{proc.name} exec'd {words}" + ("" if done["traced"] else " (not traced)"),
                       {"event": "exec", "argv": words, "traced": bool(done["traced"])})
    end_args: dict[str, Any] = {"event": "process_terminated" if proc.signal else "process_exit",
                                "daemon": bool(proc.daemon), "exit_code": proc.exit_code,
                                "signal": proc.signal}
    if proc.ended_ns is None:
        return
    killer = linker.timeline.processes.get(proc.terminated_by.pid or -1) \
        if proc.terminated_by else None
    handled = proc.handled
    sender = linker.timeline.processes.get(handled.sender or -1) if handled else None
    end_mark = linker.instant(proc, proc.pid, proc.ended_ns,
                              exit_sentence(proc, killer, sender, linker.timeline.processes),
                              end_args)
    if proc.ended_by is not None:  # only the send that delivered the fatal signal
        kill_site = linker.call_site(_send_site(proc.ended_by), f"signal {proc.name}")
        if kill_site is not None:
            linker.link(kill_site, end_mark)
    if handled is not None:
        name = signal_name(handled.signum)
        received = linker.instant(proc, proc.pid, handled.ts, received_sentence(handled, sender),
                                  {"event": "signal_received", "signal": name,
                                   "from_pid": handled.sender, "handled": True})
        end_args["handled_signal"] = name
        site = linker.call_site(_send_site(handled), f"signal {proc.name}")
        if site is not None:
            linker.link(site, received)
    observers: list[Join | Reaped] = [r for r in about if r["ev"] == "join"] or \
        [r for r in about if r["ev"] == "reaped"]
    observer = observers[0] if observers else None
    joiner = linker.timeline.processes.get(int(observer["pid"])) if observer else None
    if observer is not None and joiner is not None:
        # Perfetto orders a flow by time, and the join() call began before the exit:
        # the arrow ends on a mark where join() returned, at the end of that call.
        tid = int(observer.get("tid") or joiner.pid)
        joiner.threads.setdefault(tid, Thread(pid=joiner.pid, tid=tid, name=f"Thread {tid}"))
        seen = linker.instant(joiner, tid, int(observer["ts"]),
                              f"{observer['ev']}: saw {proc.name} end", {"call": observer["ev"]})
        linker.link(end_mark, seen)


def _send_site(send: Send) -> CallSite | None:
    """Where a send was made (None when concurtrace sent it)."""
    if send.sender is None:
        return None
    return CallSite(send.sender, send.tid, send.start_ts, send.ts)


def _thread_events(linker: _Linker, proc: Process, thread: Thread,
                   start: ThreadStart | None) -> None:
    if thread.is_main:
        return
    if thread.started_ns is not None:
        mark = linker.instant(proc, thread.tid, thread.started_ns,
                              thread_sentence(thread, "start"),
                              {"event": "thread_start", "daemon": bool(thread.daemon)})
        if start is not None:
            by = _call_site(start, start.get("by_tid"))  # the thread that called start()
            source = linker.call_site(by, f"start thread {thread.name}")
            if source is not None:
                linker.link(source, _first_slice(thread) or mark)
    if thread.ended_ns is None:
        return
    cut = thread.end_reason in CUT_THREAD
    event = "thread_abandoned" if thread.abandoned else "thread_stopped" if cut else "thread_exit"
    args: dict[str, Any] = {"event": event, "daemon": bool(thread.daemon)}
    if thread.abandoned or cut:
        args["unfinished"] = True
        args["stack"] = thread.stack_text
    if cut:
        args["cause"] = thread.end_reason
    linker.instant(proc, thread.tid, thread.ended_ns, thread_sentence(thread, "end", proc), args)
