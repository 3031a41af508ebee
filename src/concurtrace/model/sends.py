"""Signals sent to a process, and which of them (if any) explains how it ended.

A send is credited with a death only when the signal it sent is the one the process died
of AND the send began before the death: a segfaulting child that its parent then
terminate()s (ProcessPoolExecutor does it to the workers of a broken pool) crashed; it
was not stopped on purpose. A process that outlived a send of a signal whose default
action is to end it (and exited on its own after it) handled that signal.
"""

from __future__ import annotations

import signal as signal_module

from concurtrace.model.sources import Observed, RecordIndex
from concurtrace.model.timeline import Send

SIGNUM_OF_CALL = {"terminate": int(signal_module.SIGTERM), "kill": int(signal_module.SIGKILL)}
# Signals whose default action ends the process: outliving one means it was handled (or
# ignored). SIGKILL and SIGSTOP cannot be; SIGCHLD, SIGWINCH, SIGCONT... never end it.
ENDS_BY_DEFAULT = frozenset(int(getattr(signal_module, name)) for name in (
    "SIGTERM", "SIGINT", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2", "SIGALRM", "SIGPIPE",
    "SIGABRT") if hasattr(signal_module, name))


def sends_to(pid: int, index: RecordIndex, observed: Observed) -> list[Send]:
    """Every recorded send to pid, by the traced tree and by concurtrace, in time order."""
    sends = []
    for record in index.about.get(pid, []):
        if record["ev"] != "terminate":
            continue
        signum = record.get("signum")
        if signum is None:  # written before records carried it: terminate()/kill()
            signum = SIGNUM_OF_CALL.get(str(record.get("how")), SIGNUM_OF_CALL["terminate"])
        ts = int(record["ts"])
        sends.append(Send(int(record.get("start_ts", ts)), ts, int(record["pid"]), int(signum),
                          str(record.get("reason", "terminate")),
                          int(record["tid"]) if record.get("tid") is not None else None))
    for start_ts, ts, target, signum, reason in observed.sends:
        if target == pid:
            sends.append(Send(start_ts, ts, None, signum, reason))
    sends.sort(key=lambda s: s.start_ts)
    return sends


def not_ignored(pid: int, sends: list[Send], index: RecordIndex) -> list[Send]:
    """The sends of a signal that pid did not ignore (SIG_IGN) when it came: an ignored one
    was neither handled nor fatal (huey's process workers ignore the group's Ctrl-C; their
    parent stops them by an Event). The dispositions come from its "ignoring" records, each
    image starting afresh at its "hello"."""
    changes: list[tuple[int, frozenset[int]]] = []
    for record in index.own.get(pid, []):
        if record["ev"] == "hello":
            changes.append((int(record["ts"]), frozenset()))
        elif record["ev"] == "ignoring":
            changes.append((int(record["ts"]), frozenset(int(n) for n in record["signums"])))
    if not any(ignored for _, ignored in changes):
        return sends
    changes.sort(key=lambda change: change[0])

    def ignored_at(ts: int, signum: int) -> bool:
        now: frozenset[int] = frozenset()
        for when, ignored in changes:
            if when > ts:
                break
            now = ignored
        return signum in now

    return [s for s in sends if not ignored_at(s.ts, s.signum)]


def unexplained_deliveries(pid: int, sends: list[Send], observed: Observed) -> list[Send]:
    """A send "from outside the traced tree" for each signal pid took (its C handler ran)
    that no recorded send of that signal before it explains: a shell's kill of a server
    that handles SIGTERM and exits 0 (gunicorn's master)."""
    unused = list(sends)
    unexplained = []
    for target, signum, ts in sorted(observed.deliveries, key=lambda d: d[2]):
        if target != pid:
            continue
        send = next((s for s in unused if s.signum == signum and s.start_ts <= ts), None)
        if send is not None:
            unused.remove(send)
        else:
            unexplained.append(Send(ts, ts, None, signum, "external"))
    return unexplained


def died_before(pid: int, signum: int, index: RecordIndex, reap_ts: int | None) -> int | None:
    """A time the death by signum had certainly happened (or begun) by: the reap, or the
    moment the process itself saw that fatal signal arrive (its handler's record)."""
    bounds = [reap_ts] if reap_ts is not None else []
    bounds += [int(r["ts"]) for r in index.own.get(pid, [])
               if r["ev"] == "signal" and int(r.get("signum", 0)) == signum]
    return min(bounds) if bounds else None


def credited_send(sends: list[Send], signum: int, death_bound: int | None,
                  survived: int | None = None) -> Send | None:
    """The send that delivered the fatal signal: the first of that signal before the death
    and after the last delivery of it that the process survived (a first Ctrl-C it caught
    is not what a second one did)."""
    candidates = [s for s in sends if s.signum == signum
                  and (death_bound is None or s.start_ts < death_bound)]
    raised = [s for s in candidates if s.reason == "raised"]
    if raised:  # it raised the signal itself (uvicorn after its graceful shutdown): it had
        # outlived the sends before, it was alive to raise it
        candidates = [s for s in candidates if s.start_ts >= raised[-1].start_ts]
    later = [s for s in candidates if survived is None or s.start_ts > survived]
    chosen = later or candidates
    return chosen[0] if chosen else None


def survived_delivery(pid: int, signum: int, observed: Observed,
                      death_bound: int | None) -> int | None:
    """When pid last took signum and lived on: of the deliveries its wakeup pipe showed
    before the death, every one but the last (which may be the fatal one)."""
    times = sorted(ts for target, number, ts in observed.deliveries
                   if target == pid and number == signum
                   and (death_bound is None or ts < death_bound))
    return times[-2] if len(times) >= 2 else None


def handled_send(sends: list[Send], alive_after: int | None) -> Send | None:
    """The last send of a signal that would have ended the process, made while it was
    still alive (it wrote a record, or was reaped, after the send began)."""
    if alive_after is None:
        return None
    before = [s for s in sends if s.signum in ENDS_BY_DEFAULT and s.start_ts < alive_after]
    return before[-1] if before else None
