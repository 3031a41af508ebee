"""Grouping for the terminal summary of big programs: threads, processes and findings
that share a kind and a cause become one line with counts, median and worst.

A cause is a name pattern (the name with its last number replaced by `*`:
`ThreadPoolExecutor-0_12` -> `ThreadPoolExecutor-0_*`, `Thread-45 (wrapper)` ->
`Thread-* (wrapper)`; the thread's target function is part of its name) and, for
findings, the same kind and the same advice. Only the terminal summary groups:
`summary --json` keeps every item.
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Callable, Hashable, Iterable, Sequence
from typing import Generic, TypeVar

from concurtrace.model.plain import Plain
from concurtrace.model.timeline import Finding, Process, Thread, Timeline
from concurtrace.model.units import lifetime
from concurtrace.model.vocabulary import FindingKind

# Fewer alike items than this are listed one by one.
GROUP_MIN = 4
# The last number of a name, at its end or before a "(target)" suffix.
_LAST_NUMBER = re.compile(r"\d+(?=(?:\s*\([^()]*\))?$)")

T = TypeVar("T")


def name_pattern(name: str) -> str:
    """The name with its last number replaced by `*` (unchanged if it has none)."""
    return _LAST_NUMBER.sub("*", name, count=1)


class Group(Generic[T], Plain):
    pattern: str
    items: list[T]

    __slots__ = ("pattern", "items")

    def __init__(self, pattern: str, items: list[T] | None = None) -> None:
        self.pattern = pattern
        self.items = [] if items is None else items

    def grouped(self, same_names: bool = False) -> bool:
        """Worth one line: enough items, whose names differ only by a number (or are
        the same, when same_names: the main threads of alike processes)."""
        return len(self.items) >= GROUP_MIN and ("*" in self.pattern or same_names)


def group_by(items: Iterable[T], key: Callable[[T], Hashable],
             pattern: Callable[[T], str], same_names: bool = False) -> list[Group[T]]:
    """Items with the same key, in order of first appearance; groups too small to be
    worth one line are split back into one group per item."""
    groups: dict[Hashable, Group[T]] = {}
    for item in items:
        groups.setdefault(key(item), Group(pattern(item))).items.append(item)
    out: list[Group[T]] = []
    for group in groups.values():
        if group.grouped(same_names):
            out.append(group)
        else:
            out.extend(Group(group.pattern, [item]) for item in group.items)
    return out


def spread(values: Sequence[float], fmt: Callable[[float], str], top: str = "worst") -> str:
    """"median X, worst Y" of values (worst = largest)."""
    if not values:
        return "?"
    return f"median {fmt(statistics.median(values))}, {top} {fmt(max(values))}"


def thread_life(thread: Thread) -> int:
    return lifetime(thread.started_ns, thread.ended_ns) or 0


def gil_share(thread: Thread) -> float:
    life = thread_life(thread)
    return thread.states_ns().get("gil", 0) / life if life else 0.0


# -- findings ---------------------------------------------------------------------------

FINDING_VERBS: dict[FindingKind, str] = {
    "gil_contention": "waited for the GIL",
    "daemon_thread_abandoned": "were abandoned at interpreter exit",
    "thread_exception": "died with an uncaught exception",
    "daemon_process_terminated": "were terminated at their parent's exit",
    "killed_before_trace": "were killed before their tracer started",
    "nonzero_exit": "ended with an error or a signal",
    "native_exit": "exited in C code, with no Python exit",
    "orphan_still_running": "were still running when MainProcess exited",
    "child_not_joined": "were never joined or waited for",
    "thread_stopped": "were still running or blocked when the run was stopped",
    "event_loop_blocked": "blocked their event loop",
    "task_exception_unretrieved": "raised an exception nobody retrieved",
    "task_pending_at_exit": "were left pending",
    "lock_held_while_blocking": "held a lock others waited for while they slept or did I/O",
    "queue_bottleneck": "were blocked in put() on a full queue",
    "task_never_awaited": "were never awaited",
}


# Findings about what ran on a thread's event loop, not the thread: grouped under their own
# noun (test_asyncio.test_tasks read "19 threads 'MainThread' in MainProcess were still
# pending ...: lifetime median 35.28 s", its one main thread's life, for 19 tasks).
LOOP_ITEMS: dict[FindingKind, str] = {
    "event_loop_blocked": "calls",
    "task_exception_unretrieved": "tasks",
    "task_pending_at_exit": "tasks",
    "task_never_awaited": "coroutines",
}


class FindingGroup(Plain):
    findings: list[Finding]
    subject: str  # "threads 'Thread-* (wrapper)' in MainProcess", "processes 'Process-*'"
    worst: Finding  # the worst by the spread's measure, else the first (most important)
    spread: str  # "GIL wait median 38%, worst 68% of their lifetime", or ""
    example: str  # how to introduce `worst`

    __slots__ = ("findings", "subject", "worst", "spread", "example")

    def __init__(self, findings: list[Finding], subject: str, worst: Finding, spread: str,
                 example: str = "Worst") -> None:
        self.findings = findings
        self.subject = subject
        self.worst = worst
        self.spread = spread
        self.example = example


def group_findings(timeline: Timeline) -> list[FindingGroup]:
    """Findings in their order (most important first), alike ones as one group."""

    def subject(f: Finding) -> tuple[str, str]:
        proc = timeline.processes.get(f.pid or -1)
        pname = name_pattern(proc.name) if proc else "?"
        thread = proc.threads.get(f.tid) if proc and f.tid is not None else None
        if thread is not None and f.kind in LOOP_ITEMS:
            return (f"{LOOP_ITEMS[f.kind]} on thread '{name_pattern(thread.name)}' in {pname}",
                    name_pattern(thread.name))
        if thread is not None:
            return f"threads '{name_pattern(thread.name)}' in {pname}", name_pattern(thread.name)
        return f"processes '{pname}'", pname

    # Same names too: test_threading's 40 forks, each "MainProcess (fork)" calling os._exit.
    groups = group_by(timeline.findings, key=lambda f: (f.kind, f.advice, subject(f)[0]),
                      pattern=lambda f: subject(f)[1], same_names=True)
    return [_finding_group(timeline, g.items, subject(g.items[0])[0]) for g in groups]


def _finding_group(timeline: Timeline, findings: list[Finding], subject: str) -> FindingGroup:
    threads = [_thread_of(timeline, f) for f in findings]
    if findings[0].kind == "gil_contention" and all(threads):
        shares = [gil_share(t) for t in threads if t]
        worst = findings[shares.index(max(shares))]
        return FindingGroup(findings, subject, worst,
                            f"GIL wait {spread(shares, _pct)} of their lifetime")
    lives = [thread_life(t) for t in threads if t] \
        if all(threads) and findings[0].kind not in LOOP_ITEMS else []
    if lives:
        worst = findings[lives.index(max(lives))]
        return FindingGroup(findings, subject, worst,
                            f"lifetime {spread([x / 1e9 for x in lives], _secs, 'longest')}",
                            "Longest")
    return FindingGroup(findings, subject, findings[0], "", "For example")


def _thread_of(timeline: Timeline, finding: Finding) -> Thread | None:
    proc = timeline.processes.get(finding.pid or -1)
    return proc.threads.get(finding.tid) if proc and finding.tid is not None else None


def _pct(x: float) -> str:
    return f"{x:.0%}"


def _secs(x: float) -> str:
    return f"{x * 1000:.0f} ms" if x < 1 else f"{x:.2f} s"


def group_processes(procs: Iterable[Process], status: Callable[[Process], str]
                    ) -> list[Group[Process]]:
    """Sibling processes with the same name pattern, parent and outcome."""
    return group_by(procs, key=lambda p: (name_pattern(p.name), p.ppid, p.daemon,
                                          p.start_method, status(p)),
                    pattern=lambda p: name_pattern(p.label()))
