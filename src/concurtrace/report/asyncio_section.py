"""The summary's "asyncio" section, one block per event loop, from the summary's "asyncio"
key (so a saved trace shows it too)."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.text import Text

from concurtrace.model.timeline import Timeline
from concurtrace.model.units import human_duration

SHOWN = 4
# A test suite runs a loop per test (CPython's test_asyncio: a thousand): the most telling.
LOOPS_SHOWN = 8


def render_asyncio(timeline: Timeline, console: Console) -> None:
    summary = timeline.asyncio_summary
    loops = list(summary.get("loops") or [])
    never = list(summary.get("never_awaited") or [])
    if not loops and not never:
        return
    console.print(Text("\nasyncio", style="bold"))
    for row in never[:SHOWN]:
        console.print(Text(f"  coroutine never awaited: {row.get('coroutine')}, dropped at "
                           f"{row.get('dropped_at')}" + (f" (x{row['count']})"
                                                         if row.get("count", 1) > 1 else ""),
                           style="red"))
    shown = _most_telling(loops)
    for row in shown:
        console.print(_loop_line(row))
        waits = dict(row.get("awaits") or {})
        if waits:
            parts = [f"{kind} x{w.get('count')} p50 {human_duration(int(w.get('p50_ns') or 0))}"
                     f", max {human_duration(int(w.get('max_ns') or 0))}" + _woken(w)
                     for kind, w in list(waits.items())[:SHOWN]]
            console.print("    slowest awaits: " + "; ".join(parts))
        for block in list(row.get("blocks") or [])[:SHOWN]:
            console.print(Text(f"    loop blocked {human_duration(int(block.get('dur_ns') or 0))}"
                               f" by {block.get('culprit')}", style="yellow"))
        pending = list(row.get("pending_at_exit") or [])
        if pending:
            more = f" and {len(pending) - SHOWN} more" if len(pending) > SHOWN else ""
            console.print(f"    pending at exit: {', '.join(pending[:SHOWN])}{more}")
        for lost in list(row.get("unretrieved") or [])[:SHOWN]:
            console.print(Text(f"    exception never retrieved: {lost.get('task')} "
                               f"({lost.get('exception')})", style="red"))


    if len(shown) < len(loops):
        rest = [row for row in loops if not any(row is kept for kept in shown)]
        tasks = sum(int(row.get("tasks_created") or 0) for row in rest)
        console.print(f"  … {len(rest)} more loops ({tasks} tasks, none blocked): "
                      "`concurtrace summary TRACE --json` lists every one")


def _most_telling(loops: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """At most LOOPS_SHOWN loops, in their order: those blocked first, then those that left
    tasks pending or exceptions unretrieved, then the busiest; every blocked one is kept."""
    if len(loops) <= LOOPS_SHOWN:
        return loops
    def rank(row: dict[str, Any]) -> tuple[int, int, int]:
        return (-len(row.get("blocks") or []),
                -len(row.get("pending_at_exit") or []) - len(row.get("unretrieved") or []),
                -int(row.get("tasks_created") or 0))
    blocked = sum(1 for row in loops if row.get("blocks"))
    keep = {id(row) for row in sorted(loops, key=rank)[:max(LOOPS_SHOWN, blocked)]}
    return [row for row in loops if id(row) in keep]


def _count(n: Any, noun: str) -> str:
    """"1 task", "6 tasks" (pytest-asyncio runs each test on its own loop of one task)."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _loop_line(row: dict[str, Any]) -> Text:
    line = Text("  loop on ")
    line.append(str(row.get("thread")), style="bold")
    outcomes = dict(row.get("outcomes") or {})
    ended = ", ".join(f"{n} {k}" for k, n in sorted(outcomes.items()))
    line.append(f": {_count(row.get('tasks_created'), 'task')} ({ended}), peak "
                f"{row.get('peak_concurrent')} at once, {_count(row.get('steps'), 'step')}")
    lag = int(row.get("max_lag_ns") or 0)
    ready = int(row.get("max_ready") or 0)
    if lag:
        line.append(f"; worst timer lag {human_duration(lag)}")
    if ready:  # shown without a timer's lag too (a loop whose timers never fired)
        line.append(f"{',' if lag else ';'} ready queue up to {ready}")
    return line


def _woken(wait: dict[str, Any]) -> str:
    """" (woken by holder x3, a callback x1)": who woke them, most first."""
    wakers = dict(wait.get("woken_by") or {})
    if not wakers:
        return ""
    return " (woken by " + ", ".join(f"{name} x{n}" for name, n in
                                     list(wakers.items())[:2]) + \
        (", ..." if len(wakers) > 2 else "") + ")"
