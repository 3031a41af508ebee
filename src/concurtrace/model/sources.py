"""The witnesses a merge draws on: records indexed by pid, and what was seen from outside."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Literal, overload

from concurtrace.model.plain import Plain
from concurtrace.model.records import (
    ExitCall,
    Finalize,
    Hello,
    RawRecord,
    Record,
    Role,
    SignalReceived,
    TraceSaved,
    as_lifecycle,
)
from concurtrace.model.sampled import SeenProcess, SeenThread
from concurtrace.model.timeline import StateRun


class Observed(Plain):
    """What the outside sampler and concurtrace's own reaping saw."""

    processes: dict[int, SeenProcess]
    threads: dict[tuple[int, int], SeenThread]
    states: dict[tuple[int, int], list[StateRun]]
    reaped: dict[int, tuple[int, int]]  # pid -> (ts, raw status)
    # concurtrace's own signals to the tree (--timeout, a second Ctrl-C: "timeout",
    # "interrupt") and the ones it passed on from outside ("external"):
    # (start_ts, ts, pid, signum, reason)
    sends: list[tuple[int, int, int, int, str]]
    # Signals a traced process's C handler took, seen through its wakeup pipe by the
    # watchdog, whoever sent them: (pid, signum, ts)
    deliveries: list[tuple[int, int, int]]

    __slots__ = ("processes", "threads", "states", "reaped", "sends", "deliveries")

    def __init__(self, processes: dict[int, SeenProcess] | None = None,
                 threads: dict[tuple[int, int], SeenThread] | None = None,
                 states: dict[tuple[int, int], list[StateRun]] | None = None,
                 reaped: dict[int, tuple[int, int]] | None = None,
                 sends: list[tuple[int, int, int, int, str]] | None = None,
                 deliveries: list[tuple[int, int, int]] | None = None) -> None:
        self.processes = {} if processes is None else processes
        self.threads = {} if threads is None else threads
        self.states = {} if states is None else states
        self.reaped = {} if reaped is None else reaped
        self.sends = [] if sends is None else sends
        self.deliveries = [] if deliveries is None else deliveries


class RecordIndex:
    """The lifecycle records indexed by the pid they are about: where a parsed line becomes
    a typed Record (the readers narrow it by its "ev")."""

    def __init__(self, records: Iterable[RawRecord]) -> None:
        self.own: dict[int, list[Record]] = defaultdict(list)  # written by the process
        self.about: dict[int, list[Record]] = defaultdict(list)  # written by others about it
        # Each writer's last record of any kind (sync and asyncio ones too): it was alive then.
        self.last_ts: dict[int, int] = {}
        for raw in records:
            pid, ts = int(raw["pid"]), int(raw["ts"])
            self.last_ts[pid] = max(ts, self.last_ts.get(pid, ts))
            record = as_lifecycle(raw)
            if record is None:
                continue
            self.own[pid].append(record)
            if raw.get("child") is not None:
                self.about[int(raw["child"])].append(record)

    @overload
    def first(self, pid: int, ev: Literal["hello"]) -> Hello | None: ...
    @overload
    def first(self, pid: int, ev: Literal["role"]) -> Role | None: ...
    def first(self, pid: int, ev: str) -> Record | None:
        return next((r for r in self.own.get(pid, []) if r["ev"] == ev), None)

    @overload
    def last(self, pid: int, ev: Literal["hello"]) -> Hello | None: ...
    @overload
    def last(self, pid: int, ev: Literal["finalize"]) -> Finalize | None: ...
    @overload
    def last(self, pid: int, ev: Literal["exit_call"]) -> ExitCall | None: ...
    @overload
    def last(self, pid: int, ev: Literal["signal"]) -> SignalReceived | None: ...
    @overload
    def last(self, pid: int, ev: Literal["trace_saved"]) -> TraceSaved | None: ...
    def last(self, pid: int, ev: str) -> Record | None:
        return next((r for r in reversed(self.own.get(pid, [])) if r["ev"] == ev), None)
