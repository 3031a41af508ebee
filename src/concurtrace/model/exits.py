"""How a process ended: exit code or signal, by whose hand, and why."""

from __future__ import annotations

import os
import signal as signal_module

from concurtrace.model.sentences import CRASH_SIGNALS
from concurtrace.model.sources import Observed, RecordIndex
from concurtrace.model.timeline import Process, TerminatedBy


def signal_name(signum: int) -> str:
    try:
        return signal_module.Signals(signum).name
    except ValueError:
        return f"SIG{signum}"


def exit_facts(proc: Process, index: RecordIndex, observed: Observed) -> None:
    pid = proc.pid
    reaps = [(r["ts"], r["status"], int(r["pid"])) for r in index.about.get(pid, [])
             if r["ev"] == "reaped"]
    if pid in observed.reaped:
        ts, status = observed.reaped[pid]
        reaps.append((ts, status, 0))
    own = index.own.get(pid, [])
    last_own = max((int(r["ts"]) for r in own), default=None)
    seen = observed.processes.get(pid)
    ends = [t for t in (last_own, seen.last_ns if seen else None) if t]
    if reaps:
        reap_ts, status, _reaper = min(reaps)
        code = os.waitstatus_to_exitcode(int(status))
        proc.exit_code = code
        proc.signal = signal_name(-code) if code < 0 else None
        ends = [min(t, reap_ts) for t in ends] or [reap_ts]
    else:
        joins = [r for r in index.about.get(pid, []) if r["ev"] == "join"]
        exit_call = index.last(pid, "exit_call")
        if joins:
            proc.exit_code = int(joins[0]["exitcode"])
        elif exit_call is not None:
            proc.exit_code = int(exit_call["code"])
        if proc.exit_code is not None and proc.exit_code < 0:
            proc.signal = signal_name(-proc.exit_code)
    proc.ended_ns = max(ends) if ends else None
    # Joins made by multiprocessing's exit handler do not count: the program never waited.
    proc.joined = any(r["ev"] in ("join", "reaped") and not r.get("implicit")
                      for r in index.about.get(pid, []))
    _end_reason(proc, index)


def _end_reason(proc: Process, index: RecordIndex) -> None:
    exception = index.last(proc.pid, "exception")
    exit_call = index.last(proc.pid, "exit_call")
    if proc.signal is not None or index.last(proc.pid, "signal") is not None:
        proc.end_reason = "signal"
        kills = [r for r in index.about.get(proc.pid, []) if r["ev"] == "terminate"]
        if kills:
            kill = kills[-1]
            reason = str(kill.get("reason", "terminate"))
            proc.terminated_by = TerminatedBy(int(kill["pid"]), reason)
            # Last seen by the sampler may predate the signal: it died after it was sent.
            if proc.ended_ns is None or proc.ended_ns < int(kill["ts"]):
                proc.ended_ns = int(kill["ts"])
        elif proc.signal not in CRASH_SIGNALS:
            proc.terminated_by = TerminatedBy(None, "external")
    elif exception is not None:
        proc.end_reason, proc.exc_type = "exception", str(exception.get("exc_type"))
    elif exit_call is not None and exit_call.get("how") == "os._exit" and not any(
            r["ev"] == "exit_call" and r.get("how") == "return" for r in index.own[proc.pid]):
        proc.end_reason = "os._exit"
    elif proc.exit_code:
        proc.end_reason = "sys.exit"
    elif proc.exit_code == 0:
        proc.end_reason = "return"
