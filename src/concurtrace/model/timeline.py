"""The typed timeline every stage agrees on: processes, threads, events, counters.

Timestamps are CLOCK_MONOTONIC nanoseconds (time.monotonic_ns()), which is also
VizTracer's clock, so samples and function slices line up without conversion.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from concurtrace.model.series import CounterSeries as CounterSeries  # re-exported: their
from concurtrace.model.series import StateRun as StateRun  # old home
from concurtrace.model.slice_columns import Slice as Slice  # re-exported: its old home
from concurtrace.model.slice_columns import SliceColumns
from concurtrace.model.sync import SyncData
from concurtrace.model.tasks import AsyncioData
from concurtrace.model.vocabulary import STATE_KEYS, FindingKind, GilMethod, StateKey


def short_path(path: str) -> str:
    """The last two components of a path: enough to recognise, short enough to read."""
    parts = path.replace("\\", "/").split("/")
    return "/".join(parts[-2:])


@dataclass(slots=True)
class Instant:
    """A point event. `tid` None means process-scoped."""

    ts: int
    name: str
    pid: int
    tid: int | None
    args: dict[str, Any] = field(default_factory=dict)
    flows_out: list[int] | None = None
    flows_in: list[int] | None = None


@dataclass(slots=True)
class TerminatedBy:
    pid: int | None
    reason: str  # daemon_cleanup | terminate | kill | external | timeout | interrupt


@dataclass(frozen=True)
class Send:
    """A signal sent to a process (by a traced process or by concurtrace itself)."""

    start_ts: int  # just before the kill syscall: the signal cannot have arrived earlier
    ts: int
    sender: int | None  # the sending process; None for concurtrace itself
    signum: int
    reason: str  # daemon_cleanup | terminate | kill | timeout | interrupt
    tid: int | None = None


@dataclass
class Thread:
    pid: int
    tid: int
    name: str
    daemon: bool | None = None
    started_ns: int | None = None
    ended_ns: int | None = None
    abandoned: bool = False
    # return | exception | abandoned (daemon, at a normal interpreter exit) | stopped (still
    # running when the run was stopped: --timeout, Ctrl-C) | killed (its process died by a
    # signal) | os._exit | process_exit
    end_reason: str | None = None
    exc_type: str | None = None
    slices: SliceColumns = field(default_factory=SliceColumns)  # function calls
    states: list[StateRun] = field(default_factory=list)
    is_main: bool = False
    stack: list[dict[str, Any]] = field(default_factory=list)  # where an abandoned thread froze

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


@dataclass
class Process:
    pid: int
    name: str
    cmdline: list[str] = field(default_factory=list)
    ppid: int | None = None  # logical parent: the process that started it
    os_ppid: int | None = None
    daemon: bool | None = None
    start_method: str | None = None
    started_ns: int | None = None
    ended_ns: int | None = None
    exit_code: int | None = None
    signal: str | None = None
    terminated_by: TerminatedBy | None = None
    end_reason: str | None = None  # return | exception | sys.exit | os._exit | signal
    exc_type: str | None = None
    traced: bool = False
    joined: bool | None = None
    ran_target: bool | None = None  # a multiprocessing child entered its run()
    fork_of: int | None = None  # forked without exec and without a multiprocessing name
    role: str | None = None  # "infrastructure": a helper the library runs (resource tracker...)
    ended_by: Send | None = None  # the send that delivered the fatal signal
    handled: Send | None = None  # a send it outlived (handled) before it exited on its own
    # SIGKILL from no traced process just after the thread that started it ended (the
    # kernel's PR_SET_PDEATHSIG): (that thread's name, ns from its end to the death)
    starter_ended: tuple[str, int] | None = None
    exit_began_ns: int | None = None  # its program was done (atexit run): our exit save began
    trace_saved_ns: int | None = None  # that save ended (None: it never did)
    threads: dict[int, Thread] = field(default_factory=dict)
    instants: list[Instant] = field(default_factory=list)

    def label(self) -> str:
        """Display name with role, e.g. "Process-1 (daemon)"."""
        return f"{self.name} (daemon)" if self.daemon else self.name


@dataclass
class Finding:
    kind: FindingKind
    pid: int | None
    tid: int | None
    message: str
    advice: str = ""
    severity: int = 1  # higher is more important


@dataclass(frozen=True)
class GilHotspot:
    """GIL wait attributed to the innermost traced function that was waiting."""

    process: str
    function: str
    gil_ns: int


@dataclass
class Timeline:
    python: str = ""
    gil: str = "enabled"
    gil_method: GilMethod = "none"
    started_ns: int = 0
    ended_ns: int = 0
    root_pid: int | None = None
    processes: dict[int, Process] = field(default_factory=dict)
    counters: list[CounterSeries] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    sampler: dict[str, Any] = field(default_factory=dict)
    gil_hotspots: list[GilHotspot] = field(default_factory=list)
    sync: SyncData = field(default_factory=SyncData)  # waits and holds (not in a saved trace)
    sync_summary: dict[str, Any] = field(default_factory=dict)  # the summary's "sync" key
    asyncio: AsyncioData = field(default_factory=AsyncioData)  # tasks (not in a saved trace)
    asyncio_summary: dict[str, Any] = field(default_factory=dict)  # the "asyncio" key

    def ordered_processes(self) -> list[Process]:
        """Parents before children, depth-first, siblings by start time then pid."""
        children: dict[int | None, list[Process]] = {}
        for proc in self.processes.values():
            parent = proc.ppid if proc.ppid in self.processes else None
            children.setdefault(parent, []).append(proc)
        for kids in children.values():
            kids.sort(key=lambda p: (p.started_ns or 0, p.pid))
        ordered: list[Process] = []
        stack = list(reversed(children.get(None, [])))
        while stack:
            proc = stack.pop()
            ordered.append(proc)
            stack.extend(reversed(children.get(proc.pid, [])))
        return ordered
