"""The summary's "Synchronization" section, from the summary's "sync" key (so a saved
trace shows it too)."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from concurtrace.model.analysis import human_duration
from concurtrace.model.timeline import Timeline

SHOWN = 5


def render_sync(timeline: Timeline, console: Console) -> None:
    sync = timeline.sync_summary
    if not sync:
        return
    console.print(Text("\nSynchronization", style="bold"))
    if not sync.get("enabled", True):
        console.print("  off (--no-sync)")
        return
    objects = [o for o in sync.get("objects") or [] if o.get("kind") != "Thread"]
    joins = [o for o in sync.get("objects") or [] if o.get("kind") == "Thread"]
    threshold = human_duration(int(sync.get("threshold_ns") or 0))
    if not objects:
        console.print(f"  no blocking wait over {threshold} on a lock, condition, event, "
                      "semaphore, queue or join")
    else:
        table = Table(box=None, pad_edge=False, header_style="dim")
        table.add_column("object", no_wrap=True)
        for column in ("waits", "total", "worst", "share", "waiters"):
            table.add_column(column)
        table.add_column("holders were")
        for row in objects[:SHOWN]:
            share = row.get("waiter_share")
            open_waits = int(row.get("open_waits") or 0)
            table.add_row(
                str(row.get("label")),
                f"{row.get('waits')}" + (f" ({open_waits} open)" if open_waits else ""),
                human_duration(int(row.get("total_wait_ns") or 0)),
                human_duration(int(row.get("max_wait_ns") or 0)),
                f"{share:.0%}" if isinstance(share, (int, float)) else "",  # of waiters' lives
                _waiters(row.get("waiters") or []),
                _holders(row))
        console.print(table)
    if joins:
        total = sum(int(j.get("total_wait_ns") or 0) for j in joins)
        console.print(f"  join(): {len(joins)} threads waited for, {human_duration(total)} "
                      "in all")
    lock_ns = int(sync.get("lock_state_ns") or 0)
    if lock_ns:
        missing = int(sync.get("unattributed_lock_ns") or 0)
        console.print(Text(f"  unattributed: {human_duration(missing)} of "
                           f"{human_duration(lock_ns)} sampled as 'waiting for lock' "
                           f"(waits under {threshold}, or on objects concurtrace does not "
                           "wrap: created before it started, in C, or not yet covered)",
                           style="dim"))


def _waiters(names: list[str]) -> str:
    return names[0] if len(names) == 1 else f"{len(names)} threads"


def _holders(row: dict[str, Any]) -> str:
    """What the contended holders mostly did while holding it (the sampler's states)."""
    return str(row.get("holder_state") or "")
