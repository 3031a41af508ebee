"""How a process ended: exit code or signal, by whose hand, and why."""

from __future__ import annotations

import os

from concurtrace.model.records import ExceptionRaised
from concurtrace.model.sends import (
    credited_send,
    died_before,
    handled_send,
    not_ignored,
    sends_to,
    survived_delivery,
    unexplained_deliveries,
)
from concurtrace.model.sentences import CRASH_SIGNALS, signal_name
from concurtrace.model.sources import Observed, RecordIndex
from concurtrace.model.timeline import Process, Send, TerminatedBy


def exit_facts(proc: Process, index: RecordIndex, observed: Observed) -> None:
    pid = proc.pid
    reaps = [(r["ts"], r["status"], int(r["pid"])) for r in index.about.get(pid, [])
             if r["ev"] == "reaped"]
    if pid in observed.reaped:
        ts, status = observed.reaped[pid]
        reaps.append((ts, status, 0))
    last_own = index.last_ts.get(pid)
    seen = observed.processes.get(pid)
    ends = [t for t in (last_own, seen.last_ns if seen else None) if t]
    reap_ts: int | None = None
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
    sends = sends_to(pid, index, observed)
    _end_reason(proc, index, sends, reap_ts, observed)
    if proc.signal is None and proc.exit_code is not None:
        taken = sorted(not_ignored(pid, sends, index)
                       + unexplained_deliveries(pid, sends, observed), key=lambda s: s.start_ts)
        alive_after = last_own if last_own is not None else reap_ts
        native = proc.end_reason == "native_exit"
        if native:  # it wrote nothing after the signal: that it exited (not of the signal)
            alive_after = reap_ts or proc.ended_ns  # before its reap says it outlived it
        proc.handled = _cause(handled_send(taken, alive_after), taken)
        if native and proc.handled is not None and (proc.ended_ns or 0) < proc.handled.ts:
            proc.ended_ns = proc.handled.ts  # last seen before the signal it then took
        proc.handled_also = same_stop(proc.handled, taken)


SAME_STOP_NS = 150_000_000  # sends of one signal this close are one stop (a Ctrl-C, passed on)


def same_stop(handled: Send | None, taken: list[Send]) -> list[Send]:
    """The sends of the handled signal by other senders in the SAME_STOP_NS before it: a
    server's workers take the group's Ctrl-C and then their master's SIGINT (sanic); naming
    only the last hid the Ctrl-C they had begun to stop on."""
    if handled is None:
        return []
    also: list[Send] = []
    for send in taken:
        if send.signum == handled.signum and send is not handled \
                and handled.start_ts - SAME_STOP_NS <= send.start_ts <= handled.start_ts \
                and (send.sender, send.reason) != (handled.sender, handled.reason) \
                and all((s.sender, s.reason) != (send.sender, send.reason) for s in also):
            also.append(send)
    return also


def _cause(handled: Send | None, taken: list[Send]) -> Send | None:
    """A process that handled a signal from outside and raised it again at itself (uvicorn
    re-raises the SIGINT it captured once its graceful shutdown is done, for asyncio.Runner
    to end the loop) ended because of the outside one: the echo hid who stopped it."""
    if handled is None or handled.reason != "raised":
        return handled
    before = [s for s in taken if s.signum == handled.signum and s.reason != "raised"
              and s.start_ts < handled.start_ts]
    return before[-1] if before else handled


def _end_reason(proc: Process, index: RecordIndex, sends: list[Send],
                reap_ts: int | None, observed: Observed) -> None:
    exit_call = index.last(proc.pid, "exit_call")
    own_signal = index.last(proc.pid, "signal")
    signum = -proc.exit_code if proc.exit_code is not None and proc.exit_code < 0 else (
        int(own_signal["signum"]) if own_signal is not None and proc.exit_code is None else None)
    if proc.signal is not None or (own_signal is not None and proc.exit_code is None):
        proc.end_reason = "signal"
        bound = None if signum is None else died_before(proc.pid, signum, index, reap_ts)
        send = None if signum is None else credited_send(
            sends, signum, bound, survived_delivery(proc.pid, signum, observed, bound))
        if send is not None:
            proc.ended_by = send
            proc.terminated_by = TerminatedBy(send.sender, send.reason)
            if send.reason == "raised":  # what it had handled before raising it itself
                taken = sorted([s for s in not_ignored(proc.pid, sends, index) if s is not send]
                               + unexplained_deliveries(proc.pid, sends, observed),
                               key=lambda s: s.start_ts)
                proc.handled = handled_send(taken, send.start_ts)
            # Last seen by the sampler may predate the signal: it died after it was sent.
            if proc.ended_ns is None or proc.ended_ns < send.ts:
                proc.ended_ns = send.ts
        elif proc.signal not in CRASH_SIGNALS:
            proc.terminated_by = TerminatedBy(None, "external")
            if proc.signal == "SIGKILL":
                proc.starter_ended = _starter_ended(proc, index)
    elif (exception := _uncaught(proc, index)) is not None:
        proc.end_reason, proc.exc_type = "exception", str(exception.get("exc_type"))
    elif exit_call is not None and exit_call.get("how") == "os._exit" and not any(
            r["ev"] == "exit_call" and r.get("how") == "return" for r in index.own[proc.pid]):
        proc.end_reason = "os._exit"
    elif exited_outside_python(proc, index):
        proc.end_reason = "native_exit"
    elif proc.exit_code:
        proc.end_reason = "sys.exit"
    elif proc.exit_code == 0:
        proc.end_reason = "return"


def exited_outside_python(proc: Process, index: RecordIndex) -> bool:
    """A traced Python that ended with an exit status (not a signal) and wrote no finalize
    record: every Python way out (the interpreter's exit, sys.exit, os._exit, an exec)
    writes one before concurtrace saves the function trace. C code ended it: an extension's
    exit() or _exit(), or a signal handler in C that calls _exit (PyTorch's DataLoader
    workers exit 0 on their parent's SIGTERM). Not after an exec of an untraced program:
    that program's exit is its own."""
    if not proc.traced or proc.signal is not None or proc.exit_code is None:
        return False
    own = index.own.get(proc.pid, [])
    if any(r["ev"] == "finalize" for r in own):
        return False
    hellos = [int(r["ts"]) for r in own if r["ev"] == "hello"]
    execs = [int(r["ts"]) for r in own if r["ev"] == "exec"]
    return not execs or any(ts > execs[-1] for ts in hellos)


PDEATHSIG_WITHIN_NS = 200_000_000  # the kernel's SIGKILL follows the thread's end at once


def _starter_ended(proc: Process, index: RecordIndex) -> tuple[str, int] | None:
    """The thread that started proc, when proc died of SIGKILL from no traced process just
    after that thread ended: PR_SET_PDEATHSIG fires at the end of the parent *thread*
    (billiard's pool workers, started by its worker-handler thread, set it)."""
    starts = [r for r in index.about.get(proc.pid, []) if r["ev"] == "process_start"]
    if not starts or proc.ended_ns is None or proc.ppid is None:
        return None
    tid = starts[-1]["tid"]
    ends = [r["ts"] for r in index.own.get(proc.ppid, [])
            if r["ev"] == "thread_exit" and r["tid"] == tid]
    names = [r["name"] for r in index.own.get(proc.ppid, [])
             if r["ev"] == "thread_start" and r["tid"] == tid]
    if not ends or not names:
        return None
    after = proc.ended_ns - ends[-1]
    return (names[-1], after) if -PDEATHSIG_WITHIN_NS // 10 <= after <= PDEATHSIG_WITHIN_NS \
        else None


def _uncaught(proc: Process, index: RecordIndex) -> ExceptionRaised | None:
    """The exception that ended the interpreter: one the interpreter itself reported (not the
    program's own sys.excepthook(...) call), with the exit status an uncaught one gives."""
    exceptions = [r for r in index.own.get(proc.pid, [])
                  if r["ev"] == "exception" and r.get("caller") != "program"]
    if not exceptions or proc.exit_code not in (1, None):
        return None
    return exceptions[-1]
