"""Human sentences for lifecycle instants: what happened, to whom, by whom, why."""

from __future__ import annotations

import re
import signal as signal_module
from collections.abc import Mapping

from concurtrace.model.timeline import Process, Send, Thread, short_path
from concurtrace.model.vocabulary import STATES

REASONS = {
    "daemon_cleanup": "daemon cleanup at {killer} exit",
    "terminate": "terminate() from {killer}",
    "kill": "kill() from {killer}",
    "external": "a signal from outside the traced tree (or a crash)",
    "timeout": "the run was stopped by concurtrace's --timeout",
    "interrupt": "the run was stopped by concurtrace after a second Ctrl-C",
    "deadlock": "the run was stopped by concurtrace's --stop-on-deadlock",
    "raised": "raised by itself",
}
RUN_STOPS = ("timeout", "interrupt", "deadlock")  # concurtrace itself ended the tree
STOPPED_BY = {"timeout": "--timeout", "interrupt": "a second Ctrl-C",
              "deadlock": "--stop-on-deadlock"}
CRASH_SIGNALS = ("SIGSEGV", "SIGBUS", "SIGFPE", "SIGILL", "SIGABRT")


def signal_name(signum: int) -> str:
    try:
        return signal_module.Signals(signum).name
    except ValueError:
        return f"SIG{signum}"


def sender_name(send: Send, sender: Process | None) -> str:
    if send.reason == "raised":  # signal.raise_signal, os.kill(os.getpid(), ...)
        return "itself"
    if send.sender is None:  # concurtrace stopping the run, or passing on a signal it got
        return "concurtrace" if send.reason in RUN_STOPS else "outside the traced tree"
    return sender.name if sender is not None else f"pid {send.sender}"


def received_sentence(send: Send, sender: Process | None) -> str:
    return f"received {signal_name(send.signum)} from {sender_name(send, sender)} (handled)"


def start_sentence(proc: Process, parent: Process | None) -> str:
    how = f" ({proc.start_method})" if proc.start_method else ""
    by = f" by {parent.name}" if parent is not None else ""
    return f"{proc.label()} started{by}{how}"


def exit_sentence(proc: Process, killer: Process | None, sender: Process | None = None,
                  processes: Mapping[int, Process] | None = None) -> str:
    if proc.signal:
        if proc.terminated_by is not None and proc.terminated_by.reason != "external":
            why = REASONS.get(proc.terminated_by.reason, "{killer}").format(
                killer=killer.name if killer else f"pid {proc.terminated_by.pid}")
            return f"{proc.name} terminated by {proc.signal}: {why}" \
                + after_signal(proc, sender, processes)
        if proc.signal in CRASH_SIGNALS:
            return f"{proc.name} crashed with {proc.signal}"
        return f"{proc.name} killed by {proc.signal} from outside the traced tree"
    if proc.exit_code is None:
        return f"{proc.name} ended (exit status unknown)"
    if proc.end_reason == "exception":
        return f"{proc.name} raised {proc.exc_type}: exit code {proc.exit_code}"
    if proc.end_reason == "os._exit":
        return f"{proc.name} called os._exit({proc.exit_code})"
    if proc.end_reason == "native_exit":
        return f"{proc.name} exited with code {proc.exit_code} in C code (no Python exit)" \
            f"{after_signal(proc, sender, processes)}"
    return f"{proc.name} exited with code {proc.exit_code}{after_signal(proc, sender, processes)}"


def after_signal(proc: Process, sender: Process | None,
                 processes: Mapping[int, Process] | None = None) -> str:
    """" after SIGTERM from master (handled)" for a process that outlived a send, or "";
    " after SIGINT from outside the traced tree and from master (handled)" when others
    sent it too in the same stop (processes: to name them)."""
    if proc.handled is None:
        return ""
    # A send to the whole group (Ctrl-C) is stamped when concurtrace heard of it, which can
    # be after a traced process's reaction to it (a master passing it on): it goes first.
    sends = sorted([*proc.handled_also, proc.handled],
                   key=lambda s: not (s.sender is None and s.reason == "external"))
    names = [sender_name(s, sender if s is proc.handled
                         else (processes or {}).get(s.sender or -1)) for s in sends]
    return f" after {signal_name(proc.handled.signum)} from " \
        + " and from ".join(dict.fromkeys(names)) + " (handled)"


def unfinished_call(thread: Thread) -> str | None:
    """The innermost call a thread was in when it stopped (e.g. time.sleep)."""
    open_calls = [s for s in map(thread.slices.__getitem__, thread.slices.carrying())
                  if s.args and s.args.get("unfinished")]
    if not open_calls:
        return None
    return open_calls[-1].name.split(" (", 1)[0]


def frozen_at(thread: Thread) -> str:
    """" inside time.sleep (x.py:12)": where an abandoned thread stopped, or ""."""
    if not thread.stack:
        return ""
    top = thread.stack[0]
    inside = unfinished_call(thread) or str(top.get("func"))
    return f" inside {inside} ({short_path(str(top.get('file')))}:{top.get('line')})"


# the standard library's and installed packages' files (the target's Python, any layout)
LIBRARY_FILE = re.compile(r"/lib/(?:pypy|python)3\.\d+t?/|/(?:site|dist)-packages/|^<frozen ")
IDLE_STATES = ("lock", "sleep", "io")


def idle_library_worker(thread: Thread) -> bool:
    """A thread only library code ran (none of its frames is the program's) and that was
    waiting when last seen: an idle worker of a library's pool (trio's thread cache), whose
    end at exit lost nothing the program asked for."""
    frames = thread.stack  # at most 30 (bootstrap.STACK_LIMIT): a full one may be cut
    return (0 < len(frames) < 30
            and all(LIBRARY_FILE.search(str(f.get("file", ""))) for f in frames)
            and last_state(thread) in IDLE_STATES)


CUT_THREAD = {"stopped": "when the run was stopped", "killed": "when its process was killed",
              "os._exit": "when its process called os._exit",
              "native_exit": "when its process exited in C code",
              "exec": "when its process exec'd another program"}


def last_state(thread: Thread, before: int | None = None) -> str | None:
    """The state key the sampler last saw the thread in, before `before` (default its end)."""
    limit = before if before is not None else thread.ended_ns
    runs = [r for r in thread.states if limit is None or r.ts < limit]
    return runs[-1].state if runs else None


def stop_time(proc: Process | None) -> int | None:
    """When the signal that ended proc was sent (its handler then ran: not what it was doing)."""
    return proc.ended_by.start_ts if proc is not None and proc.ended_by is not None else None


def last_doing(thread: Thread, before: int | None = None) -> str:
    """"waiting for a lock": what the sampler last saw the thread do, "running" if unknown."""
    state = STATES.get(last_state(thread, before) or "running")
    return state.doing if state is not None else "running"


def cut_sentence(thread: Thread, proc: Process | None = None, doing: str | None = None) -> str:
    """"still waiting for a lock when the run was stopped by --timeout inside acquire (x:5)"."""
    when = CUT_THREAD.get(str(thread.end_reason), "when its process ended")
    reason = proc.terminated_by.reason if proc and proc.terminated_by else None
    if thread.end_reason == "stopped" and reason in RUN_STOPS:
        when += f" by {STOPPED_BY[str(reason)]}"
    elif thread.end_reason == "killed" and proc is not None and proc.signal:
        when = f"when {proc.name} was killed by {proc.signal}"
    where = frozen_at(thread)
    doing = doing or last_doing(thread, stop_time(proc))
    return f"still {doing} {when}{',' if where else ''}{where}"


def thread_sentence(thread: Thread, which: str, proc: Process | None = None) -> str:
    role = "daemon thread" if thread.daemon else "thread"
    if which == "start":
        return f"{role} '{thread.name}' started"
    if thread.abandoned:
        return f"{role} '{thread.name}' abandoned at interpreter exit{frozen_at(thread)}"
    if thread.end_reason in CUT_THREAD:
        return f"{role} '{thread.name}' {cut_sentence(thread, proc)}"
    if thread.exc_type:
        return f"{role} '{thread.name}' raised {thread.exc_type}"
    return f"{role} '{thread.name}' ended"
