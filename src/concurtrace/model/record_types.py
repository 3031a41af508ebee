"""The lifecycle record types, one TypedDict per kind (see model/records.py).

Only mypy and the tests import this module: creating these classes costs milliseconds
(every annotation string is compiled), too much for each traced process's start-up, so
at run time model/records.py names plain dict in their place.
"""

from __future__ import annotations

from typing import Any, Literal, TypedDict

Frame = dict[str, Any]  # {"func", "file", "line"}


class _Written(TypedDict, total=False):
    pid: int  # added by the recorder (bootstrap.Recorder.write)


class Hello(_Written):
    """A traced process started (its main thread's name: a fork child's is the forking
    thread's; fork_tid: that thread, for a fork child)."""

    ev: Literal["hello"]
    ts: int
    ppid: int
    origin: str  # exec | fork
    argv: list[str]
    exe: str
    python: str
    gil: Literal["enabled", "disabled"]
    main_tid: int
    thread_name: str
    fork_tid: int | None
    traced: bool
    functions: bool


class Role(_Written):
    """A multiprocessing child learned its name, daemon flag, method and target."""

    ev: Literal["role"]
    ts: int
    name: str
    daemon: bool
    method: str | None
    parent_pid: int | None
    target: str | None


class _ProcessStartOptional(_Written, total=False):
    name: str | None
    daemon: bool | None
    cmdline: list[str]
    shell: bool


class ProcessStart(_ProcessStartOptional):
    """The writer started a child (multiprocessing, subprocess, os.fork, os.spawn*)."""

    ev: Literal["process_start"]
    ts: int
    start_ts: int
    child: int
    tid: int
    method: str | None


class Terminate(_Written):
    """The writer sent a signal: terminate(), kill(), os.kill."""

    ev: Literal["terminate"]
    ts: int
    start_ts: int
    child: int
    tid: int
    how: str
    signum: int
    reason: str


class Reaped(_Written):
    """The writer observed a child's exit status (raw wait status)."""

    ev: Literal["reaped"]
    ts: int
    start_ts: int
    child: int
    status: int
    tid: int
    implicit: bool  # inside multiprocessing's exit function


class Join(_Written):
    """A join() returned with the child ended."""

    ev: Literal["join"]
    ts: int
    start_ts: int
    child: int
    tid: int
    exitcode: int  # written only once the child has one
    implicit: bool


class SignalReceived(_Written):
    """The writer received a fatal signal (stack: where its main thread was)."""

    ev: Literal["signal"]
    ts: int
    signum: int
    tid: int
    stack: list[Frame]


class SignalsIgnored(_Written):
    """The signals the writer ignores (SIG_IGN) from ts on, of those that end a process by
    default: written at its start when there are some (inherited), and each time the program
    sets or leaves SIG_IGN for one. A send of one of them then neither ended nor was handled
    by it (huey's process workers, multiprocessing's manager and resource tracker ignore
    SIGINT)."""

    ev: Literal["ignoring"]
    ts: int
    signums: list[int]


class _ExceptionOptional(_Written, total=False):
    # "interpreter": uncaught in the main thread; "program": the program's own call of
    # sys.excepthook for an error it handled
    caller: Literal["interpreter", "program"]


class ExceptionRaised(_ExceptionOptional):
    """sys.excepthook ran, or a multiprocessing child's run() raised."""

    ev: Literal["exception"]
    ts: int
    tid: int
    exc_type: str


class ExitCall(_Written):
    """os._exit was called, or a multiprocessing child's _bootstrap returned its code."""

    ev: Literal["exit_call"]
    ts: int
    how: Literal["os._exit", "return"]
    code: int


class ExecCall(_Written):
    """os.execv/os.execve was called with a program it can run: this image ends here (its
    threads with it) and the pid goes on as that program, traced again if it is Python."""

    ev: Literal["exec"]
    ts: int
    tid: int
    argv: list[str]


class ThreadStart(_Written):
    ev: Literal["thread_start"]
    ts: int
    start_ts: int
    tid: int | None  # native
    by_tid: int | None
    name: str
    daemon: bool


class _ThreadExitOptional(_Written, total=False):
    name: str


class ThreadExit(_ThreadExitOptional):
    ev: Literal["thread_exit"]
    ts: int
    tid: int
    exc_type: str | None  # None for a normal end


class ThreadAbandoned(_Written):
    """A thread still alive when the process finalized (finalize's reason tells why)."""

    ev: Literal["thread_abandoned"]
    ts: int
    tid: int | None
    ident: int
    name: str | None
    daemon: bool
    stack: list[Frame]


class Finalize(_Written):
    """The interpreter reached its last exit hook (the trace is saved after it)."""

    ev: Literal["finalize"]
    ts: int
    reason: str  # exit | signal | os._exit | exec
    tid: int


class TraceSaved(_Written):
    ev: Literal["trace_saved"]
    ts: int
    path: str


class TraceError(_Written):
    """Saving the function trace failed (the program's exit went on)."""

    ev: Literal["trace_error"]
    ts: int
    error: str


class _TraceStoppedOptional(_Written, total=False):
    profiler: str  # the program's own profiler took the function trace's place (its name)
    tid: int  # in that thread only (before 3.12: a profile function is per thread)


class TraceStopped(_TraceStoppedOptional):
    """VizTracer had stopped collecting before the save (its "Unexpected function return"
    warning, or the program's own profiler): the calls after that moment are missing."""

    ev: Literal["trace_stopped"]
    ts: int


class Subinterpreter(_Written):
    """Sitecustomize ran in a sub-interpreter of pid, which runs untraced (written as bytes
    by runner/session.py's sitecustomize)."""

    ev: Literal["subinterpreter"]
    ts: int


Record = (Hello | Role | ProcessStart | Terminate | Reaped | Join | SignalReceived | SignalsIgnored
          | ExceptionRaised | ExitCall | ExecCall | ThreadStart | ThreadExit | ThreadAbandoned
          | Finalize | TraceSaved | TraceError | Subinterpreter | TraceStopped)
RECORD_TYPES: tuple[type[Any], ...] = (
    Hello, Role, ProcessStart, Terminate, Reaped, Join, SignalReceived, SignalsIgnored,
    ExceptionRaised,
    ExitCall, ExecCall, ThreadStart, ThreadExit, ThreadAbandoned, Finalize, TraceSaved,
    TraceError, Subinterpreter, TraceStopped)
