"""The processes and threads of a timeline, and what happened to them: instants, signals
sent, findings (model/timeline.py holds them and re-exports these)."""

from __future__ import annotations

from typing import Any

from concurtrace.model.plain import FrozenPlain, Plain
from concurtrace.model.series import StateRun
from concurtrace.model.slice_columns import SliceColumns
from concurtrace.model.vocabulary import STATE_KEYS, FindingKind, StateKey


def short_path(path: str) -> str:
    """The last two components of a path: enough to recognise, short enough to read."""
    parts = path.replace("\\", "/").split("/")
    return "/".join(parts[-2:])


class Instant(Plain):
    """A point event. `tid` None means process-scoped."""

    ts: int
    name: str
    pid: int
    tid: int | None
    args: dict[str, Any]
    flows_out: list[int] | None
    flows_in: list[int] | None

    __slots__ = ("ts", "name", "pid", "tid", "args", "flows_out", "flows_in")

    def __init__(self, ts: int, name: str, pid: int, tid: int | None,
                 args: dict[str, Any] | None = None, flows_out: list[int] | None = None,
                 flows_in: list[int] | None = None) -> None:
        self.ts = ts
        self.name = name
        self.pid = pid
        self.tid = tid
        self.args = {} if args is None else args
        self.flows_out = flows_out
        self.flows_in = flows_in


class TerminatedBy(Plain):
    pid: int | None
    reason: str  # daemon_cleanup | terminate | kill | external | timeout | interrupt

    __slots__ = ("pid", "reason")

    def __init__(self, pid: int | None, reason: str) -> None:
        self.pid = pid
        self.reason = reason


class Send(FrozenPlain):
    """A signal sent to a process (by a traced process or by concurtrace itself)."""

    start_ts: int  # just before the kill syscall: the signal cannot have arrived earlier
    ts: int
    sender: int | None  # the sending process; None for concurtrace itself
    signum: int
    reason: str  # daemon_cleanup | terminate | kill | timeout | interrupt
    tid: int | None

    __slots__ = ("start_ts", "ts", "sender", "signum", "reason", "tid")

    def __init__(self, start_ts: int, ts: int, sender: int | None, signum: int, reason: str,
                 tid: int | None = None) -> None:
        self.start_ts = start_ts
        self.ts = ts
        self.sender = sender
        self.signum = signum
        self.reason = reason
        self.tid = tid


class Thread(Plain):
    pid: int
    tid: int
    name: str
    daemon: bool | None
    started_ns: int | None
    ended_ns: int | None
    abandoned: bool
    # return | exception | abandoned (daemon, at a normal interpreter exit) | stopped (still
    # running when the run was stopped: --timeout, Ctrl-C) | killed (its process died by a
    # signal) | os._exit | process_exit
    end_reason: str | None
    exc_type: str | None
    slices: SliceColumns  # function calls
    states: list[StateRun]
    is_main: bool
    stack: list[dict[str, Any]]  # where an abandoned thread froze

    __slots__ = ("pid", "tid", "name", "daemon", "started_ns", "ended_ns", "abandoned",
                 "end_reason", "exc_type", "slices", "states", "is_main", "stack")

    def __init__(self, pid: int, tid: int, name: str, daemon: bool | None = None,
                 started_ns: int | None = None, ended_ns: int | None = None,
                 abandoned: bool = False, end_reason: str | None = None,
                 exc_type: str | None = None, slices: SliceColumns | None = None,
                 states: list[StateRun] | None = None, is_main: bool = False,
                 stack: list[dict[str, Any]] | None = None) -> None:
        self.pid = pid
        self.tid = tid
        self.name = name
        self.daemon = daemon
        self.started_ns = started_ns
        self.ended_ns = ended_ns
        self.abandoned = abandoned
        self.end_reason = end_reason
        self.exc_type = exc_type
        self.slices = SliceColumns() if slices is None else slices
        self.states = [] if states is None else states
        self.is_main = is_main
        self.stack = [] if stack is None else stack

    @property
    def stack_text(self) -> str:
        return " <- ".join(f"{f.get('func')} ({short_path(str(f.get('file')))}:{f.get('line')})"
                           for f in self.stack)

    def states_ns(self) -> dict[StateKey, int]:
        totals = dict.fromkeys(STATE_KEYS, 0)
        for run in self.states:
            totals[run.state] = totals.get(run.state, 0) + run.dur
        return totals

    def gil_queued_ns(self) -> int:
        """Of the GIL wait, the time spent queued for a CPU."""
        return sum(run.queued_ns for run in self.states if run.state == "gil")


class Process(Plain):
    pid: int
    name: str
    cmdline: list[str]
    ppid: int | None  # logical parent: the process that started it
    os_ppid: int | None
    daemon: bool | None
    start_method: str | None
    started_ns: int | None
    ended_ns: int | None
    exit_code: int | None
    signal: str | None
    terminated_by: TerminatedBy | None
    end_reason: str | None  # return | exception | sys.exit | os._exit | signal
    exc_type: str | None
    traced: bool
    joined: bool | None
    ran_target: bool | None  # a multiprocessing child entered its run()
    fork_of: int | None  # forked without exec and without a multiprocessing name
    role: str | None  # "infrastructure": a helper the library runs (resource tracker...)
    ended_by: Send | None  # the send that delivered the fatal signal
    handled: Send | None  # a send it outlived (handled) before it exited on its own
    # the sends of that signal by others just before it, the same stop (sanic's workers get
    # the group's Ctrl-C, then their master's SIGINT 5 ms later), in time order
    handled_also: list[Send]
    # SIGKILL from no traced process just after the thread that started it ended (the
    # kernel's PR_SET_PDEATHSIG): (that thread's name, ns from its end to the death)
    starter_ended: tuple[str, int] | None
    exit_began_ns: int | None  # its program was done (atexit run): our exit save began
    trace_saved_ns: int | None  # that save ended (None: it never did)
    function_trace: bool  # it traced function calls (not under --light): a save at exit
    threads: dict[int, Thread]
    instants: list[Instant]
    # each os.exec* it made: {"ts_ns", "argv", "traced"} (traced: the new image said hello)
    execs: list[dict[str, Any]]

    __slots__ = ("pid", "name", "cmdline", "ppid", "os_ppid", "daemon", "start_method",
                 "started_ns", "ended_ns", "exit_code", "signal", "terminated_by", "end_reason",
                 "exc_type", "traced", "joined", "ran_target", "fork_of", "role", "ended_by",
                 "handled", "starter_ended", "exit_began_ns", "trace_saved_ns", "threads",
                 "instants", "execs", "function_trace", "handled_also")

    def __init__(self, pid: int, name: str, cmdline: list[str] | None = None,
                 ppid: int | None = None, os_ppid: int | None = None, daemon: bool | None = None,
                 start_method: str | None = None, started_ns: int | None = None,
                 ended_ns: int | None = None, exit_code: int | None = None,
                 signal: str | None = None, terminated_by: TerminatedBy | None = None,
                 end_reason: str | None = None, exc_type: str | None = None, traced: bool = False,
                 joined: bool | None = None, ran_target: bool | None = None,
                 fork_of: int | None = None, role: str | None = None, ended_by: Send | None = None,
                 handled: Send | None = None,
                 starter_ended: tuple[str, int] | None = None, exit_began_ns: int | None = None,
                 trace_saved_ns: int | None = None, threads: dict[int, Thread] | None = None,
                 instants: list[Instant] | None = None,
                 execs: list[dict[str, Any]] | None = None,
                 function_trace: bool = True,
                 handled_also: list[Send] | None = None) -> None:
        self.pid = pid
        self.name = name
        self.cmdline = [] if cmdline is None else cmdline
        self.ppid = ppid
        self.os_ppid = os_ppid
        self.daemon = daemon
        self.start_method = start_method
        self.started_ns = started_ns
        self.ended_ns = ended_ns
        self.exit_code = exit_code
        self.signal = signal
        self.terminated_by = terminated_by
        self.end_reason = end_reason
        self.exc_type = exc_type
        self.traced = traced
        self.joined = joined
        self.ran_target = ran_target
        self.fork_of = fork_of
        self.role = role
        self.ended_by = ended_by
        self.handled = handled
        self.starter_ended = starter_ended
        self.exit_began_ns = exit_began_ns
        self.trace_saved_ns = trace_saved_ns
        self.threads = {} if threads is None else threads
        self.instants = [] if instants is None else instants
        self.execs = [] if execs is None else execs
        self.function_trace = function_trace
        self.handled_also = [] if handled_also is None else handled_also

    def untraced_since(self) -> int | None:
        """When it exec'd a program that is not traced (sh, another Python without us): what
        it did from then on (its waits, its children's reaping) went unrecorded."""
        last = self.execs[-1] if self.execs else None
        return int(last["ts_ns"]) if last is not None and not last["traced"] else None

    def label(self) -> str:
        """Display name with role, e.g. "Process-1 (daemon)"."""
        return f"{self.name} (daemon)" if self.daemon else self.name


class Finding(Plain):
    kind: FindingKind
    pid: int | None
    tid: int | None
    message: str
    advice: str
    severity: int  # higher is more important

    __slots__ = ("kind", "pid", "tid", "message", "advice", "severity")

    def __init__(self, kind: FindingKind, pid: int | None, tid: int | None, message: str,
                 advice: str = "", severity: int = 1) -> None:
        self.kind = kind
        self.pid = pid
        self.tid = tid
        self.message = message
        self.advice = advice
        self.severity = severity


class GilHotspot(FrozenPlain):
    """GIL wait attributed to the innermost traced function that was waiting."""

    process: str
    function: str
    gil_ns: int

    __slots__ = ("process", "function", "gil_ns")

    def __init__(self, process: str, function: str, gil_ns: int) -> None:
        self.process = process
        self.function = function
        self.gil_ns = gil_ns
