"""The witnesses a merge draws on: records indexed by pid, and what was seen from outside."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from concurtrace.model.records import RawRecord
from concurtrace.model.timeline import StateRun


@dataclass
class ObservedProcess:
    pid: int
    ppid: int
    name: str
    cmdline: list[str]
    first_ns: int
    last_ns: int
    python: bool


@dataclass
class Observed:
    """What the outside sampler and concurtrace's own reaping saw."""

    processes: dict[int, ObservedProcess] = field(default_factory=dict)
    threads: dict[tuple[int, int], tuple[str, int, int]] = field(default_factory=dict)
    states: dict[tuple[int, int], list[StateRun]] = field(default_factory=dict)
    reaped: dict[int, tuple[int, int]] = field(default_factory=dict)  # pid -> (ts, raw status)
    # concurtrace's own signals to the tree (--timeout, a second Ctrl-C: "timeout",
    # "interrupt") and the ones it passed on from outside ("external"):
    # (start_ts, ts, pid, signum, reason)
    sends: list[tuple[int, int, int, int, str]] = field(default_factory=list)


class RecordIndex:
    """Records indexed by the pid they are about."""

    def __init__(self, records: list[RawRecord]) -> None:
        self.own: dict[int, list[RawRecord]] = defaultdict(list)  # written by the process
        self.about: dict[int, list[RawRecord]] = defaultdict(list)  # written by others about it
        for record in records:
            self.own[int(record["pid"])].append(record)
            if "child" in record and record["child"] is not None:
                self.about[int(record["child"])].append(record)

    def first(self, pid: int, ev: str) -> RawRecord | None:
        return next((r for r in self.own.get(pid, []) if r["ev"] == ev), None)

    def last(self, pid: int, ev: str) -> RawRecord | None:
        return next((r for r in reversed(self.own.get(pid, [])) if r["ev"] == ev), None)
