"""The typed timeline every stage agrees on: processes, threads, events, counters.

Timestamps are CLOCK_MONOTONIC nanoseconds (time.monotonic_ns()), which is also
VizTracer's clock, so samples and function slices line up without conversion.
"""

from __future__ import annotations

from typing import Any

from concurtrace.model.plain import Plain
from concurtrace.model.processes import Finding as Finding  # re-exported: their old home
from concurtrace.model.processes import GilHotspot as GilHotspot
from concurtrace.model.processes import Instant as Instant
from concurtrace.model.processes import Process as Process
from concurtrace.model.processes import Send as Send
from concurtrace.model.processes import TerminatedBy as TerminatedBy
from concurtrace.model.processes import Thread as Thread
from concurtrace.model.processes import short_path as short_path
from concurtrace.model.series import CounterSeries as CounterSeries  # re-exported: their
from concurtrace.model.series import StateRun as StateRun  # old home
from concurtrace.model.slice_columns import Slice as Slice  # re-exported: its old home
from concurtrace.model.sync import SyncData
from concurtrace.model.tasks import AsyncioData
from concurtrace.model.vocabulary import GilMethod


class Timeline(Plain):
    python: str
    gil: str
    gil_method: GilMethod
    started_ns: int
    ended_ns: int
    root_pid: int | None
    processes: dict[int, Process]
    counters: list[CounterSeries]
    findings: list[Finding]
    notes: list[str]
    sampler: dict[str, Any]
    gil_hotspots: list[GilHotspot]
    sync: SyncData  # waits and holds (not in a saved trace)
    sync_summary: dict[str, Any]  # the summary's "sync" key
    asyncio: AsyncioData  # tasks (not in a saved trace)
    asyncio_summary: dict[str, Any]  # the "asyncio" key

    __slots__ = ("python", "gil", "gil_method", "started_ns", "ended_ns", "root_pid", "processes",
                 "counters", "findings", "notes", "sampler", "gil_hotspots", "sync", "sync_summary",
                 "asyncio", "asyncio_summary")

    def __init__(self, python: str = "", gil: str = "enabled", gil_method: GilMethod = "none",
                 started_ns: int = 0, ended_ns: int = 0, root_pid: int | None = None,
                 processes: dict[int, Process] | None = None,
                 counters: list[CounterSeries] | None = None, findings: list[Finding] | None = None,
                 notes: list[str] | None = None, sampler: dict[str, Any] | None = None,
                 gil_hotspots: list[GilHotspot] | None = None, sync: SyncData | None = None,
                 sync_summary: dict[str, Any] | None = None, asyncio: AsyncioData | None = None,
                 asyncio_summary: dict[str, Any] | None = None) -> None:
        self.python = python
        self.gil = gil
        self.gil_method = gil_method
        self.started_ns = started_ns
        self.ended_ns = ended_ns
        self.root_pid = root_pid
        self.processes = {} if processes is None else processes
        self.counters = [] if counters is None else counters
        self.findings = [] if findings is None else findings
        self.notes = [] if notes is None else notes
        self.sampler = {} if sampler is None else sampler
        self.gil_hotspots = [] if gil_hotspots is None else gil_hotspots
        self.sync = SyncData() if sync is None else sync
        self.sync_summary = {} if sync_summary is None else sync_summary
        self.asyncio = AsyncioData() if asyncio is None else asyncio
        self.asyncio_summary = {} if asyncio_summary is None else asyncio_summary

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
