"""The summary's thread tables: one row per thread, or one per group of alike threads
(same name pattern, daemon flag and ending) with counts, median and worst."""

from __future__ import annotations

import statistics
from collections.abc import Sequence

from rich.table import Table
from rich.text import Text

from concurtrace.model.timeline import Thread
from concurtrace.model.units import human_duration, lifetime
from concurtrace.model.vocabulary import STATE_KEYS, STATES

from .groups import Group, gil_share, group_by, name_pattern, thread_life

# Tables of at most this many threads are never grouped.
SMALL_TABLE = 12
# Rows per table at most; the rest is counted in one last row. A group's row says
# "name-* ×N", its lifetime "median (max ...)".
MAX_ROWS = 25


def thread_status(thread: Thread) -> Text:
    if thread.abandoned:
        return Text("abandoned at exit", style="bold yellow")
    if thread.end_reason == "stopped":  # what it was doing is in its finding
        return Text("cut by the stop", style="bold yellow")
    if thread.end_reason in ("killed", "os._exit", "exec", "native_exit"):
        cause = {"killed": "a signal", "os._exit": "os._exit", "exec": "exec",
                 "native_exit": "an exit in C"}
        return Text(f"cut by {cause[thread.end_reason]}", style="yellow")
    if thread.exc_type:
        return Text(f"raised {thread.exc_type}", style="bold red")
    if thread.end_reason == "process_exit":
        return Text("ended with process", style="dim")
    if thread.end_reason is None:  # seen by the sampler only (an untraced process, C code)
        return Text("ended (untraced)", style="dim")
    return Text("returned", style="green")


def thread_table(threads: Sequence[Thread], show_states: bool,
                 processes: int = 1) -> tuple[Table, int]:
    """The table (of the threads of `processes` alike processes), and how many threads
    it had no room for."""
    table = Table(box=None, pad_edge=False, show_header=True, header_style="dim")
    table.add_column("thread", overflow="fold")  # long names wrap, never cut
    for column in ("tid", "daemon", "lifetime", "ended"):
        table.add_column(column)
    if show_states:
        table.add_column("time in state")
    ordered = sorted(threads, key=lambda t: (not t.is_main, t.started_ns or 0, t.tid))
    if len(ordered) <= SMALL_TABLE:  # a small table reads best thread by thread
        groups = [Group(t.name, [t]) for t in ordered]
    else:
        groups = group_by(ordered, key=lambda t: (name_pattern(t.name), t.daemon,
                                                  thread_status(t).plain),
                          pattern=lambda t: name_pattern(t.name), same_names=processes > 1)
    for group in groups[:MAX_ROWS]:
        table.add_row(*_row(group, show_states))
    left = sum(len(g.items) for g in groups[MAX_ROWS:])
    if left:
        table.add_row(Text(f"… {left} more threads", style="dim"), "", "", "", "")
    return table, left


def _row(group: Group[Thread], show_states: bool) -> list[str | Text]:
    threads = group.items
    first = threads[0]
    if len(threads) == 1:
        cells: list[str | Text] = [first.name, str(first.tid), "yes" if first.daemon else "",
                                   human_duration(lifetime(first.started_ns, first.ended_ns)),
                                   thread_status(first)]
    else:
        lives = [thread_life(t) for t in threads]
        tids = sorted(t.tid for t in threads)
        cells = [f"{group.pattern} ×{len(threads)}", f"{tids[0]}…{tids[-1]}",
                 "yes" if first.daemon else "",
                 f"{human_duration(int(statistics.median(lives)))} "
                 f"(max {human_duration(max(lives))})",
                 thread_status(first)]
    if show_states:
        cells.append(state_shares(threads))
    return cells


def state_shares(threads: Sequence[Thread]) -> str:
    """Shares of the threads' summed time per state; for a group, the worst GIL share."""
    totals = dict.fromkeys(STATE_KEYS, 0)
    queued_ns = 0
    for thread in threads:
        for key, ns in thread.states_ns().items():
            totals[key] = totals.get(key, 0) + ns
        queued_ns += thread.gil_queued_ns()
    whole = sum(totals.values())
    if not whole:
        return ""
    queued = queued_ns / whole  # part of the GIL share, shown apart
    parts = []
    for key in STATE_KEYS:
        if totals[key] / whole >= 0.01:
            extra = f" (queued {queued:.0%})" if key == "gil" and queued >= 0.01 else ""
            parts.append(f"{STATES[key].short} {totals[key] / whole:.0%}{extra}")
    if len(threads) > 1 and totals["gil"] / whole >= 0.01:
        parts.append(f"GIL worst {max(gil_share(t) for t in threads):.0%}")
    return ", ".join(parts)
