"""Findings in plain words, most important first, each with what to do about it."""

from __future__ import annotations

import bisect
from collections import Counter

from concurtrace.model.sentences import (
    CRASH_SIGNALS,
    RUN_STOPS,
    cut_sentence,
    frozen_at,
    last_state,
    stop_time,
)
from concurtrace.model.sync_analysis import analyse_sync
from concurtrace.model.tasks_analysis import analyse_asyncio
from concurtrace.model.timeline import Finding, Process, Thread, Timeline

MP_METHODS = ("fork", "spawn", "forkserver")
GIL_SHARE_FINDING = 0.2
MIN_LIFETIME_NS = 50_000_000


def human_duration(ns: int | None) -> str:
    if ns is None:
        return "?"
    seconds = ns / 1e9
    if seconds >= 60:
        return f"{int(seconds // 60)} min {seconds % 60:.0f} s"
    if seconds >= 1:
        return f"{seconds:.2f} s"
    if seconds >= 0.001:
        return f"{seconds * 1000:.0f} ms"
    return f"{seconds * 1e6:.0f} µs"


def lifetime(start: int | None, end: int | None) -> int | None:
    return end - start if start is not None and end is not None else None


def analyse(timeline: Timeline) -> None:
    findings: list[Finding] = []
    root = timeline.processes.get(timeline.root_pid or -1)
    for proc in timeline.ordered_processes():
        findings.extend(_process_findings(timeline, proc, root))
        for thread in proc.threads.values():
            findings.extend(_thread_findings(proc, thread))
    findings.extend(analyse_sync(timeline))
    findings.extend(analyse_asyncio(timeline))
    findings.sort(key=lambda f: -f.severity)
    timeline.findings = findings
    timeline.gil_hotspots = gil_hotspots(timeline)


def _process_findings(timeline: Timeline, proc: Process, root: Process | None) -> list[Finding]:
    out: list[Finding] = []
    life = human_duration(lifetime(proc.started_ns, proc.ended_ns))
    killer = proc.terminated_by
    if not proc.traced and proc.signal and proc.start_method in MP_METHODS:
        out.append(Finding("killed_before_trace", proc.pid, None,
                           f"{proc.label()} was killed by {proc.signal} {life} after it started, "
                           "before its tracer started: none of its work ran.",
                           "Join it (p.join()) before the parent returns, "
                           "or make it non-daemon.", 5))
    if proc.daemon and killer is not None and killer.reason == "daemon_cleanup":
        parent = timeline.processes.get(killer.pid or -1)
        ran = "its work never ran" if not proc.traced or proc.ran_target is False \
            else "its work was cut short"
        out.append(Finding("daemon_process_terminated", proc.pid, None,
                           f"{proc.label()} was terminated by {proc.signal} {life} after it "
                           f"started, at {parent.name if parent else 'its parent'}'s exit: {ran}.",
                           "Join it before the parent returns, or make it non-daemon.", 5))
    elif proc.signal and killer is not None and killer.reason in RUN_STOPS:
        how = "--timeout" if killer.reason == "timeout" else "a second Ctrl-C"
        out.append(Finding("nonzero_exit", proc.pid, None,
                           f"{proc.name} was stopped by {how} ({proc.signal} from concurtrace) "
                           f"after {life}.",
                           "It was still running when the run was stopped: its threads say "
                           "where they were.", 3))
    elif proc.signal and killer is not None and killer.reason in ("terminate", "kill"):
        out.append(Finding("nonzero_exit", proc.pid, None,
                           f"{proc.name} was ended by {proc.signal} via {killer.reason}() "
                           f"after {life}.", "Expected if you stopped it on purpose.", 2))
    elif proc.signal in ("SIGINT", "SIGHUP"):  # Ctrl-C, or its terminal went away
        out.append(Finding("nonzero_exit", proc.pid, None,
                           f"{proc.name} was interrupted by {proc.signal} after {life}.",
                           "Ctrl-C or a closed terminal: expected if you stopped it.", 2))
    elif proc.signal:
        what = "crashed with" if proc.signal in CRASH_SIGNALS else "was killed by"
        out.append(Finding("nonzero_exit", proc.pid, None,
                           f"{proc.name} {what} {proc.signal} after {life}.",
                           "A crash in C code (ctypes, an extension) or a signal from outside: "
                           "run it alone with faulthandler enabled (python -X faulthandler).", 4))
    elif proc.exit_code:
        if proc.exc_type:
            what, advice = f"exited with code {proc.exit_code} (uncaught {proc.exc_type})", \
                "Its traceback is in the output above."
        elif proc.end_reason == "os._exit":
            what, advice = f"called os._exit({proc.exit_code})", \
                "os._exit skips cleanup (atexit, buffered output): prefer sys.exit."
        else:
            what, advice = f"exited with code {proc.exit_code}", "Check its output for why."
        out.append(Finding("nonzero_exit", proc.pid, None, f"{proc.name} {what}.", advice, 4))
    parent = timeline.processes.get(proc.ppid) if proc.ppid is not None else None
    stopped = killer is not None and killer.reason in RUN_STOPS  # ended with the whole tree
    if proc is not root and proc.role != "infrastructure" and not stopped:
        if root and root.ended_ns and proc.ended_ns and proc.ended_ns > root.ended_ns + 1_000_000:
            out.append(Finding("orphan_still_running", proc.pid, None,
                               f"{proc.name} was still running when MainProcess exited "
                               f"(it ended {human_duration(proc.ended_ns - root.ended_ns)} later).",
                               "Wait for it (join()/wait()) so its failures reach you.", 3))
        elif proc.joined is False and parent is not None and not proc.signal:
            by = f" by {parent.name}"
            out.append(Finding("child_not_joined", proc.pid, None,
                               f"{proc.name} was never joined or waited for{by}"
                               + (": multiprocessing joined it at exit." if proc.start_method
                                  in MP_METHODS else "."),
                               "Call join()/wait() yourself so its exit status is checked "
                               "where you expect it.", 2))
    return out


def _thread_findings(proc: Process, thread: Thread) -> list[Finding]:
    out: list[Finding] = []
    if thread.end_reason == "stopped":
        blocked = last_state(thread, stop_time(proc)) == "lock"
        out.append(Finding("thread_stopped", proc.pid, thread.tid,
                           f"Thread '{thread.name}' in {proc.name} was "
                           f"{cut_sentence(thread, proc)}.",
                           "It never finished" + (
                               "; threads still waiting for locks when the run is stopped are "
                               "often the sides of a deadlock" if blocked else "") +
                           ". Its whole stack is in the JSON summary (threads[].stack).", 3))
    if thread.abandoned and proc.role != "infrastructure":  # a library's own daemon thread
        role = "Daemon thread" if thread.daemon else "Thread"
        out.append(Finding("daemon_thread_abandoned", proc.pid, thread.tid,
                           f"{role} '{thread.name}' in {proc.name} was abandoned at "
                           f"interpreter exit{frozen_at(thread)}.",
                           "Stop it with a threading.Event and join() it, or make it "
                           "non-daemon: whatever it was doing did not finish.", 3))
    if thread.exc_type:
        out.append(Finding("thread_exception", proc.pid, thread.tid,
                           f"Thread '{thread.name}' in {proc.name} died with an uncaught "
                           f"{thread.exc_type}.",
                           "Catch it inside the thread, or use concurrent.futures so that "
                           "result() re-raises it in the caller.", 4))
    life = lifetime(thread.started_ns, thread.ended_ns) or 0
    gil = thread.states_ns().get("gil", 0)
    if life >= MIN_LIFETIME_NS and gil / life >= GIL_SHARE_FINDING:
        queued = thread.gil_queued_ns()
        busy = (f" ({queued / life:.0%} of it queued for a CPU after the GIL was handed over: "
                "the cores were busy too)" if queued >= gil / 5 else "")
        out.append(Finding("gil_contention", proc.pid, thread.tid,
                           f"Thread '{thread.name}' in {proc.name} spent {gil / life:.0%} of its "
                           f"{human_duration(life)} waiting for the GIL{busy}.",
                           "CPU-bound Python threads take turns: use processes "
                           "(ProcessPoolExecutor), C code that releases the GIL (hashlib, zlib, "
                           "numpy), or fewer threads; a smaller sys.setswitchinterval only "
                           "trades throughput for latency.", 3))
    return out


def gil_hotspots(timeline: Timeline, top: int = 10) -> list[dict[str, object]]:
    """GIL wait attributed to the innermost traced function that was waiting."""
    totals: Counter[tuple[str, str]] = Counter()
    name: str | None
    for proc in timeline.processes.values():
        for thread in proc.threads.values():
            slices = thread.slices
            starts = [s.ts for s in slices]
            for run in thread.states:
                if run.state != "gil":
                    continue
                mid = run.ts + run.dur // 2
                index = bisect.bisect_right(starts, mid) - 1
                name = None
                for probe in range(index, max(index - 2000, -1), -1):
                    if slices[probe].end >= mid:
                        name = slices[probe].name
                        break
                if name is not None:
                    totals[(proc.name, name)] += run.dur
    return [{"process": p, "function": f, "gil_ns": ns} for (p, f), ns in totals.most_common(top)]
