"""One rule per finding kind about a process or a thread, in the order they are checked.

A rule returns its Finding or None. `unless` makes precedence explicit: a rule is skipped
when a listed kind was already found for the same process (or thread). Severities (higher
is more important; the summary lists findings by severity, then in rule order):
killed_before_trace 5, daemon_process_terminated 5, native_exit 2-4 (a process that ended
in C code: 2 after a signal sent to stop it or with code 0, 4 with another code),
nonzero_exit 2-4 by cause (a crash 4,
a stop by concurtrace 3, a SIGKILL at its starter thread's end 3, terminate()/kill()/Ctrl-C
2), orphan_still_running 3, child_not_joined 2, thread_stopped 3, daemon_thread_abandoned 3,
thread_exception 4, gil_contention 3, lock_held_while_blocking 3, queue_bottleneck 3
(model/sync_findings.py).
Lock contention and deadlock findings are model/sync_analysis.py's.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

from concurtrace.model.plain import FrozenPlain
from concurtrace.model.sentences import (
    CRASH_SIGNALS,
    RUN_STOPS,
    STOPPED_BY,
    cut_sentence,
    frozen_at,
    idle_library_worker,
    last_state,
    sender_name,
    signal_name,
    stop_time,
)
from concurtrace.model.sync import LOCK_KINDS
from concurtrace.model.sync_findings import lock_held_while_blocking, queue_bottleneck
from concurtrace.model.sync_mp import SHARED_LOCK_KINDS, waiting_text
from concurtrace.model.timeline import Finding, Process, Send, Thread, Timeline
from concurtrace.model.units import human_duration, lifetime
from concurtrace.model.vocabulary import FindingKind

MP_METHODS = ("fork", "spawn", "forkserver")
GIL_SHARE_FINDING = 0.2
MIN_LIFETIME_NS = 50_000_000

Subject = TypeVar("Subject")


class Rule(Generic[Subject], FrozenPlain):
    kind: FindingKind
    check: Callable[[Timeline, Process, Subject], Finding | None]
    unless: tuple[FindingKind, ...]

    __slots__ = ("kind", "check", "unless")

    def __init__(self, kind: FindingKind,
                 check: Callable[[Timeline, Process, Subject], Finding | None],
                 unless: tuple[FindingKind, ...] = ()) -> None:
        self.kind = kind
        self.check = check
        self.unless = unless


def apply(rules: tuple[Rule[Subject], ...], timeline: Timeline, proc: Process,
          subject: Subject) -> list[Finding]:
    found: list[Finding] = []
    for rule in rules:
        if any(f.kind in rule.unless for f in found):
            continue
        finding = rule.check(timeline, proc, subject)
        if finding is not None:
            found.append(finding)
    return found


def _life(proc: Process) -> str:
    return human_duration(lifetime(proc.started_ns, proc.ended_ns))


def killed_before_trace(_timeline: Timeline, proc: Process, _: None) -> Finding | None:
    if proc.traced or not proc.signal or proc.start_method not in MP_METHODS \
            or _stopped_on_purpose(proc):  # (nonzero_exit tells those, and who did it)
        return None
    return Finding("killed_before_trace", proc.pid, None,
                   f"{proc.label()} was killed by {proc.signal} {_life(proc)} after it started, "
                   "before its tracer started: none of its work ran.",
                   "Join it (p.join()) before the parent returns, or make it non-daemon.", 5)


def _stopped_on_purpose(proc: Process) -> bool:
    """Ended by a terminate()/kill() of a traced process or by its own signal, or by
    concurtrace's stop of the run: not a daemon cut at its parent's exit (ProcessPoolExecutor
    tests terminate() a worker 2 ms after its start; it read 'make it non-daemon')."""
    killer = proc.terminated_by
    return killer is not None and (killer.reason in ("terminate", "kill", "raised")
                                   or killer.reason in RUN_STOPS)


def daemon_process_terminated(timeline: Timeline, proc: Process, _: None) -> Finding | None:
    killer = proc.terminated_by
    handled = proc.handled if proc.end_reason == "native_exit" else None
    if handled is not None and handled.reason == "daemon_cleanup":  # its C handler exited
        parent = timeline.processes.get(handled.sender or -1)
        return Finding("daemon_process_terminated", proc.pid, None,
                       f"{proc.label()} was terminated by {signal_name(handled.signum)} "
                       f"{_life(proc)} after it started, at "
                       f"{parent.name if parent else 'its parent'}'s exit: its work was cut "
                       f"short. {_native_exit_words(proc, handled)}",
                       "Join it before the parent returns, or make it non-daemon.", 5)
    if not proc.daemon or killer is None or killer.reason != "daemon_cleanup":
        return None
    parent = timeline.processes.get(killer.pid or -1)
    ran = "its work never ran" if not proc.traced or proc.ran_target is False \
        else "its work was cut short"
    return Finding("daemon_process_terminated", proc.pid, None,
                   f"{proc.label()} was terminated by {proc.signal} {_life(proc)} after it "
                   f"started, at {parent.name if parent else 'its parent'}'s exit: {ran}.",
                   "Join it before the parent returns, or make it non-daemon.", 5)


NO_PYTHON_EXIT = "no Python exit ran (no atexit, no finally blocks)"


def _lost_calls(proc: Process) -> str:
    if not proc.function_trace:  # --light: there was no function trace to lose
        return f"{NO_PYTHON_EXIT}."
    return f"{NO_PYTHON_EXIT}, so concurtrace could not save its function trace: its calls " \
        "are missing; its lifecycle, waits and sampled states are kept."


def _native_exit_words(proc: Process, handled: Send) -> str:
    """How a process that a signal stopped ended in C code, and what that cost the trace."""
    return (f"Its {signal_name(handled.signum)} handler is C code (an extension's sigaction; "
            f"PyTorch's DataLoader workers have one) that ended it with exit code "
            f"{proc.exit_code}: {_lost_calls(proc)}")


def native_exit(timeline: Timeline, proc: Process, _: None) -> Finding | None:
    """A traced process that ended in C code (model/exits.exited_outside_python)."""
    if proc.end_reason != "native_exit":
        return None
    handled = proc.handled
    if handled is not None:
        sender = timeline.processes.get(handled.sender) if handled.sender is not None else None
        how = f" ({handled.reason}())" if handled.reason in ("terminate", "kill") else ""
        return Finding("native_exit", proc.pid, None,
                       f"{proc.name} exited with code {proc.exit_code} in C code after "
                       f"{signal_name(handled.signum)} from {sender_name(handled, sender)}{how}"
                       f", {_life(proc)} after it started. "
                       f"{_native_exit_words(proc, handled)}",
                       "Expected if it was being stopped. To see its calls, have it end on "
                       "its own (a stop message, then join()) rather than by the signal.", 2)
    return Finding("native_exit", proc.pid, None,
                   f"{proc.name} exited with code {proc.exit_code} in C code after "
                   f"{_life(proc)}: C code (an extension calling exit() or _exit()) ended it; "
                   f"{_lost_calls(proc)}",
                   "Check its output for why: a C library that calls exit() skips Python's "
                   "cleanup (atexit, buffered output).", 4 if proc.exit_code else 2)


def nonzero_exit(timeline: Timeline, proc: Process, _: None) -> Finding | None:
    """How the process ended, when not well: the first cause that applies."""
    killer, life = proc.terminated_by, _life(proc)
    if proc.signal and killer is not None and killer.reason in RUN_STOPS:
        how = STOPPED_BY[killer.reason]
        return Finding("nonzero_exit", proc.pid, None,
                       f"{proc.name} was stopped by {how} ({proc.signal} from concurtrace) "
                       f"after {life}.",
                       "It was still running when the run was stopped: its threads say "
                       "where they were.", 3)
    if proc.signal and killer is not None and killer.reason in ("terminate", "kill"):
        during_save = _killed_exiting(proc)
        if during_save and _save_delayed_kill(proc):
            return Finding("nonzero_exit", proc.pid, None,
                           f"{proc.name} was ended by {proc.signal} via {killer.reason}() after "
                           f"{life}, {during_save}.",
                           "Without concurtrace it had most likely exited by then: the save "
                           "delayed its exit past the patience of whoever ended it (a test "
                           "runner's or pool's shutdown timeout). Run with --light, or trace "
                           "less (--max-stack-depth, --include-files, --min-duration).", 3)
        early = ", before its tracer started: none of its work ran" \
            if not proc.traced and proc.start_method in MP_METHODS else ""
        return Finding("nonzero_exit", proc.pid, None,
                       f"{proc.name} was ended by {proc.signal} via {killer.reason}() "
                       f"after {life}" + (f", {during_save}" if during_save else "") + early
                       + ".", "Expected if you stopped it on purpose.", 2)
    if proc.signal and killer is not None and killer.reason == "raised":
        handled = f" once it had handled {signal_name(proc.handled.signum)}" \
            if proc.handled else ""
        return Finding("nonzero_exit", proc.pid, None,
                       f"{proc.name} ended by {proc.signal} after {life}, raised by itself"
                       f"{handled}.",
                       "The usual way to end after handling a signal (its parent sees it die "
                       "of that signal): expected if it was being stopped.", 2)
    if proc.signal in ("SIGINT", "SIGHUP"):  # Ctrl-C, or its terminal went away
        return Finding("nonzero_exit", proc.pid, None,
                       f"{proc.name} was interrupted by {proc.signal} after {life}.",
                       "Ctrl-C or a closed terminal: expected if you stopped it.", 2)
    if proc.signal and proc.starter_ended is not None:
        thread, after = proc.starter_ended
        return Finding("nonzero_exit", proc.pid, None,
                       f"{proc.name} was killed by {proc.signal} after {life}, "
                       + (f"{human_duration(after)} after" if after >= 1_000_000 else "as")
                       + f" thread '{thread}', which started it, ended; no traced process "
                       "sent it: the kernel's "
                       "PR_SET_PDEATHSIG does that when the parent thread ends, not the "
                       "process (billiard's and celery's pool workers set it).",
                       "Start such children from a thread that outlives them (the main "
                       "thread), or do not set PR_SET_PDEATHSIG.", 3)
    if proc.signal == "SIGTERM" and (killer is None or killer.reason == "external"):
        return Finding("nonzero_exit", proc.pid, None,  # hypercorn's workers at `kill -TERM -PGID`
                       f"{proc.name} was killed by SIGTERM from outside the traced tree after "
                       f"{life}.", "A request to stop (kill, a service manager's or a "
                       "container's stop, a group's SIGTERM): expected if you stopped it.", 2)
    if proc.signal:
        what = "crashed with" if proc.signal in CRASH_SIGNALS else "was killed by"
        return Finding("nonzero_exit", proc.pid, None,
                       f"{proc.name} {what} {proc.signal} after {life}.",
                       "A crash in C code (ctypes, an extension) or a signal from outside: "
                       "run it alone with faulthandler enabled (python -X faulthandler).", 4)
    if not proc.exit_code:
        return None
    if proc.exc_type:
        what, advice = f"exited with code {proc.exit_code} (uncaught {proc.exc_type})", \
            "Its traceback is in the output above."
    elif proc.end_reason == "os._exit" and proc.handled is not None:
        return _os_exit_on_signal(timeline, proc, proc.handled)
    elif proc.end_reason == "os._exit":
        what, advice = f"called os._exit({proc.exit_code})", \
            "os._exit skips cleanup (atexit, buffered output): prefer sys.exit."
    else:
        what, advice = f"exited with code {proc.exit_code}", "Check its output for why."
    return Finding("nonzero_exit", proc.pid, None, f"{proc.name} {what}.", advice, 4)


def _os_exit_on_signal(timeline: Timeline, proc: Process, send: Send) -> Finding:
    """os._exit after it handled a signal sent to stop it: its own way to stop (pebble's pool
    workers' SIGTERM handler), not a cleanup skipped by mistake."""
    sender = timeline.processes.get(send.sender) if send.sender is not None else None
    how = f" ({send.reason}())" if send.reason in ("terminate", "kill") else ""
    return Finding("nonzero_exit", proc.pid, None,
                   f"{proc.name} called os._exit({proc.exit_code}) after it handled "
                   f"{signal_name(send.signum)} from {sender_name(send, sender)}{how}.",
                   "Its own way to stop on that signal: expected if it was being stopped.", 2)


def _save_delayed_kill(proc: Process) -> bool:
    """Whether concurtrace's exit save likely made the kill: it was still saving, or its
    save took most of the exit. A kill long after a short save (a slow __del__ at teardown,
    a pool's terminate() racing its workers' exit) comes without concurtrace too."""
    began, ended, saved = proc.exit_began_ns, proc.ended_ns, proc.trace_saved_ns
    if began is None or ended is None or not proc.function_trace:
        return False  # (--light: no function trace to save, the exit was the program's own)
    return saved is None or saved >= ended or 2 * (saved - began) >= ended - began


def _killed_exiting(proc: Process) -> str:
    """How far into its exit a process was when killed: its program done, concurtrace saving
    (or having saved) its function trace; "" when it was killed before its exit began."""
    began, ended = proc.exit_began_ns, proc.ended_ns
    if began is None or ended is None or ended <= began:
        return ""
    after = f"{human_duration(ended - began)} after its program had finished and begun to exit"
    if not proc.function_trace:  # --light: nothing of ours to save; the interpreter's own
        return after  # finalization (modules, objects) was under way
    saved = proc.trace_saved_ns
    if saved is None or saved >= ended:
        return f"{after}, while concurtrace was still saving its function trace"
    return f"{after}; concurtrace's save of its function trace took " \
        f"{human_duration(saved - began)} of that"


def orphan_still_running(timeline: Timeline, proc: Process, _: None) -> Finding | None:
    if not _is_child(timeline, proc):
        return None
    root = timeline.processes.get(timeline.root_pid or -1)
    if not (root and root.ended_ns and proc.ended_ns and proc.ended_ns > root.ended_ns + 1_000_000):
        return None
    if _one_group_stop(root, proc):
        return None
    return Finding("orphan_still_running", proc.pid, None,
                   f"{proc.name} was still running when MainProcess exited "
                   f"(it ended {human_duration(proc.ended_ns - root.ended_ns)} later).",
                   "Wait for it (join()/wait()) so its failures reach you.", 3)


def _one_group_stop(root: Process, proc: Process) -> bool:
    """The child died of a signal from outside that the root got too (it died of it or
    handled it): one stop of the whole group (tornado's fork_processes, hypercorn -w, at
    `kill -TERM -PGID`), the children's deaths a few ms behind the root's."""
    outside = proc.terminated_by
    if not proc.signal or outside is None or outside.reason != "external":
        return False
    if root.terminated_by is not None and root.terminated_by.reason == "external":
        return root.signal == proc.signal
    handled = root.handled
    return handled is not None and handled.reason == "external" \
        and signal_name(handled.signum) == proc.signal


def child_not_joined(timeline: Timeline, proc: Process, _: None) -> Finding | None:
    if not _is_child(timeline, proc):
        return None
    parent = timeline.processes.get(proc.ppid) if proc.ppid is not None else None
    if proc.joined is not False or parent is None or proc.signal:
        return None
    return Finding("child_not_joined", proc.pid, None,
                   f"{proc.name} was never joined or waited for by {parent.name}"
                   + (": multiprocessing joined it at exit." if proc.start_method
                      in MP_METHODS else "."),
                   "Call join()/wait() yourself so its exit status is checked "
                   "where you expect it.", 2)


def _is_child(timeline: Timeline, proc: Process) -> bool:
    """Not the root, not a library's helper, not ended by the stop of the whole run."""
    root = timeline.processes.get(timeline.root_pid or -1)
    killer = proc.terminated_by
    stopped = killer is not None and killer.reason in RUN_STOPS
    return proc is not root and proc.role != "infrastructure" and not stopped


def thread_stopped(timeline: Timeline, proc: Process, thread: Thread) -> Finding | None:
    if thread.end_reason != "stopped":
        return None
    blocked = last_state(thread, stop_time(proc)) == "lock"
    open_waits = [w for w in timeline.sync.waits
                  if w.pid == proc.pid and w.tid == thread.tid and w.end is None]
    doing = None
    if open_waits:  # the recorded wait says on what, in the program's terms (a Future's
        wait = max(open_waits, key=lambda w: w.start)  # result read "waiting for a lock")
        doing = waiting_text(wait)
        blocked = wait.kind in LOCK_KINDS + SHARED_LOCK_KINDS + ("Thread",)
    return Finding("thread_stopped", proc.pid, thread.tid,
                   f"Thread '{thread.name}' in {proc.name} was "
                   f"{cut_sentence(thread, proc, doing)}.",
                   "It never finished" + (
                       "; threads still waiting for locks when the run is stopped are "
                       "often the sides of a deadlock" if blocked else "") +
                   ". Its whole stack is in the JSON summary (threads[].stack).", 3)


def daemon_thread_abandoned(_timeline: Timeline, proc: Process,
                            thread: Thread) -> Finding | None:
    if not thread.abandoned or proc.role == "infrastructure":  # a library's own daemon thread
        return None
    if idle_library_worker(thread):  # trio's thread cache: its row says it, no advice
        return None
    role = "Daemon thread" if thread.daemon else "Thread"
    return Finding("daemon_thread_abandoned", proc.pid, thread.tid,
                   f"{role} '{thread.name}' in {proc.name} was abandoned at "
                   f"interpreter exit{frozen_at(thread)}.",
                   _abandoned_advice(thread), 3)


def _abandoned_advice(thread: Thread) -> str:
    if thread.name.startswith("_thread ("):  # _thread.start_new_thread: no join, no flag
        return ("A thread of _thread never holds the exit back: have it watch a flag or "
                "an Event and wait for it to finish before the main thread returns; "
                "whatever it was doing did not finish.")
    return ("Stop it with a threading.Event and join() it, or make it "
            "non-daemon: whatever it was doing did not finish.")


def thread_exception(_timeline: Timeline, proc: Process, thread: Thread) -> Finding | None:
    if not thread.exc_type:
        return None
    return Finding("thread_exception", proc.pid, thread.tid,
                   f"Thread '{thread.name}' in {proc.name} died with an uncaught "
                   f"{thread.exc_type}.",
                   "Catch it inside the thread, or use concurrent.futures so that "
                   "result() re-raises it in the caller.", 4)


def gil_contention(_timeline: Timeline, proc: Process, thread: Thread) -> Finding | None:
    life = lifetime(thread.started_ns, thread.ended_ns) or 0
    gil = thread.states_ns().get("gil", 0)
    if life < MIN_LIFETIME_NS or gil / life < GIL_SHARE_FINDING:
        return None
    queued = thread.gil_queued_ns()
    busy = (f" ({queued / life:.0%} of it queued for a CPU after the GIL was handed over: "
            "the cores were busy too)" if queued >= gil / 5 else "")
    return Finding("gil_contention", proc.pid, thread.tid,
                   f"Thread '{thread.name}' in {proc.name} spent {gil / life:.0%} of its "
                   f"{human_duration(life)} waiting for the GIL{busy}.",
                   "CPU-bound Python threads take turns: use processes "
                   "(ProcessPoolExecutor), C code that releases the GIL (hashlib, zlib, "
                   "numpy), or fewer threads; a smaller sys.setswitchinterval only "
                   "trades throughput for latency.", 3)


PROCESS_RULES: tuple[Rule[None], ...] = (
    Rule("killed_before_trace", killed_before_trace),
    Rule("daemon_process_terminated", daemon_process_terminated),
    Rule("native_exit", native_exit, unless=("daemon_process_terminated",)),
    Rule("nonzero_exit", nonzero_exit, unless=("daemon_process_terminated", "native_exit")),
    Rule("orphan_still_running", orphan_still_running),
    Rule("child_not_joined", child_not_joined,
         unless=("orphan_still_running", "daemon_process_terminated")),
)
THREAD_RULES: tuple[Rule[Thread], ...] = (
    Rule("thread_stopped", thread_stopped),
    Rule("daemon_thread_abandoned", daemon_thread_abandoned),
    Rule("thread_exception", thread_exception),
    Rule("gil_contention", gil_contention),
    Rule("lock_held_while_blocking", lock_held_while_blocking),
    Rule("queue_bottleneck", queue_bottleneck),
)
