"""Human sentences for lifecycle instants: what happened, to whom, by whom, why."""

from __future__ import annotations

from concurtrace.model.timeline import Process, Thread, short_path

REASONS = {
    "daemon_cleanup": "daemon cleanup at {killer} exit",
    "terminate": "terminate() from {killer}",
    "kill": "kill() from {killer}",
    "external": "a signal from outside the traced tree (or a crash)",
}
CRASH_SIGNALS = ("SIGSEGV", "SIGBUS", "SIGFPE", "SIGILL", "SIGABRT")


def start_sentence(proc: Process, parent: Process | None) -> str:
    how = f" ({proc.start_method})" if proc.start_method else ""
    by = f" by {parent.name}" if parent is not None else ""
    return f"{proc.label()} started{by}{how}"


def exit_sentence(proc: Process, killer: Process | None) -> str:
    if proc.signal:
        if proc.terminated_by is not None and proc.terminated_by.reason != "external":
            why = REASONS.get(proc.terminated_by.reason, "{killer}").format(
                killer=killer.name if killer else f"pid {proc.terminated_by.pid}")
            return f"{proc.name} terminated by {proc.signal}: {why}"
        if proc.signal in CRASH_SIGNALS:
            return f"{proc.name} crashed with {proc.signal}"
        return f"{proc.name} killed by {proc.signal} from outside the traced tree"
    if proc.exit_code is None:
        return f"{proc.name} ended (exit status unknown)"
    if proc.end_reason == "exception":
        return f"{proc.name} raised {proc.exc_type}: exit code {proc.exit_code}"
    if proc.end_reason == "os._exit":
        return f"{proc.name} called os._exit({proc.exit_code})"
    return f"{proc.name} exited with code {proc.exit_code}"


def unfinished_call(thread: Thread) -> str | None:
    """The innermost call a thread was in when it stopped (e.g. time.sleep)."""
    open_calls = [s for s in thread.slices if s.args and s.args.get("unfinished")]
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


def thread_sentence(thread: Thread, which: str) -> str:
    role = "daemon thread" if thread.daemon else "thread"
    if which == "start":
        return f"{role} '{thread.name}' started"
    if thread.abandoned:
        return f"{role} '{thread.name}' abandoned at interpreter exit{frozen_at(thread)}"
    if thread.exc_type:
        return f"{role} '{thread.name}' raised {thread.exc_type}"
    return f"{role} '{thread.name}' ended"
