"""The summary's "Synchronization" section, from the summary's "sync" key (so a saved
trace shows it too)."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.text import Text

from concurtrace.model.sync_exit import waited_for_text
from concurtrace.model.timeline import Timeline
from concurtrace.model.units import human_duration

SHOWN = 5
ENDED_BY_VERB = {"Future": "completed by", "Futures": "completed by"}


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
    if not any(o.get("waits") for o in objects):
        console.print(f"  no blocking wait over {threshold} on a lock, condition, event, "
                      "semaphore or queue")
    several = len({o.get("pid") for o in objects}) > 1  # then each row says whose it is
    for row in objects[:SHOWN]:
        console.print(_object_line(row, several))
    if joins:
        total = sum(int(j.get("total_wait_ns") or 0) for j in joins)
        console.print(f"  join(): {len(joins)} thread{'s' if len(joins) > 1 else ''} waited "
                      f"for, {human_duration(total)} in all")
    for row in sync.get("exit_waits") or []:
        console.print(_exit_line(row))
    lock_ns = int(sync.get("lock_state_ns") or 0)
    missing = int(sync.get("unattributed_lock_ns") or 0)
    # below the threshold it is the sampler's resolution (a sample every ~2 ms), not a wait
    if lock_ns and missing >= int(sync.get("threshold_ns") or 0):
        console.print(Text(f"  unattributed: {human_duration(missing)} of "
                           f"{human_duration(lock_ns)} sampled as 'waiting for lock' "
                           f"(waits under {threshold}, or on objects concurtrace does not "
                           "wrap: created before it started, in C, or not yet covered)",
                           style="dim"))


def _object_line(row: dict[str, Any], name_process: bool = False) -> Text:
    line = Text("  ")
    instances = int(row.get("instances") or 1)
    if row.get("unnamed"):  # one row for all of them: say how many, never one "Lock@?"
        kind = str(row.get("kind") or "object")
        label = str(row.get("label"))
        name = label.split(" (", 1)[1].rstrip(")") if " (" in label else ""
        line.append(f"{instances} unnamed {kind}{'s' if instances > 1 else ''}", style="bold")
        line.append(" (made inside the standard library, no line of the program"
                    + (f"; reached as {name})" if name else ")"))
    else:
        line.append(str(row.get("label")), style="bold")
        if instances > 1:
            line.append(f" ({instances} objects made there)")
    if name_process:
        line.append(f" in {row.get('process') or 'process'} (pid {row.get('pid')})")
    open_waits = int(row.get("open_waits") or 0)
    waits = int(row.get("waits") or 0)
    if waits:
        gave_up = int((row.get("outcomes") or {}).get("timed_out") or 0)
        notes = [f"{open_waits} still open"] if open_waits else []
        notes += [f"{gave_up} timed out"] if gave_up else []  # join(timeout=5) gave up
        line.append(f": {waits} wait{'s' if waits != 1 else ''}"
                    + (f" ({', '.join(notes)})" if notes else "")
                    + f", {human_duration(int(row.get('total_wait_ns') or 0))} in all (worst "
                    f"{human_duration(int(row.get('max_wait_ns') or 0))})")
        saving = int(row.get("tracer_save_ns") or 0)
        if saving:  # the child had finished: concurtrace's exit save, not the program's
            line.append(f", {human_duration(saving)} of it after the child's program had "
                        "finished, while concurtrace saved its function trace")
        inner = int(row.get("inner_lock_waits") or 0)
        if inner:  # model/sync_inner.py: the lock was handed on, not held long
            line.append(f", {inner} of them in its methods for its inner lock "
                        f"({human_duration(int(row.get('inner_lock_ns') or 0))}), "
                        "handed from thread to thread, not held long")
    elif not row.get("credited_to"):
        line.append(": no wait over the threshold")
    owners = list(row.get("credited_to") or [])
    if owners:  # its long acquires inside its owner's methods are the owner's (sync_inner)
        line.append(f"{'; ' if waits else ': '}{sum(int(o['waits']) for o in owners)} "
                    f"{'more ' if waits else ''}of its waits over the threshold are "
                    f"{owners[0]['label']}'s" + (" and others'" if len(owners) > 1 else "")
                    + " (in its methods, the lock handed on, not held long)")
    if row.get("acquisitions"):  # a lock contended at least once: short waits counted too
        taken, contended = int(row["acquisitions"]), int(row.get("contended") or 0)
        part = contended / taken
        line.append(f"; taken {taken:,} times, {contended:,} of them contended ("
                    + (f"{part:.0%}" if part >= 0.01 or not contended else "<1%")
                    + f"), {human_duration(int(row.get('contended_ns') or 0))} in "
                    "contended acquires")
    waiters = list(row.get("waiters") or [])
    share = row.get("waiter_share")
    who = waiters[0] if len(waiters) == 1 else f"{len(waiters)} threads"
    if isinstance(share, (int, float)):
        lives = "its life" if len(waiters) == 1 else "their lives"
        line.append(f"; {who} waited {share:.0%} of {lives}")
    if row.get("holder_waits_for") or row.get("holder_state"):
        line.append("; its contended holders were mostly "
                    f"{row.get('holder_waits_for') or row['holder_state']}")
    ended_by = list(row.get("ended_by") or [])
    if ended_by and row.get("kind") not in ("Lock", "RLock"):
        verb = ENDED_BY_VERB.get(str(row.get("kind")), "ended by")
        if row.get("kind") == "Barrier" and set(row.get("outcomes") or {}) == {"passed"}:
            verb = "the last to arrive was"
        line.append(f"; {verb} {ended_by[0]['thread']}" + (
            f" and {len(ended_by) - 1} more" if len(ended_by) > 1 else ""))
    return line


def _exit_line(row: dict[str, Any]) -> Text:
    """"at exit: MainThread waited 1.00 s for choreography (non-daemon: ...)"."""
    names = [str(n) for n in row.get("waited_for") or []]
    several = len(names) > 1
    who = f"{len(names)} non-daemon threads ({waited_for_text(names)})" if several \
        else f"{waited_for_text(names)} (non-daemon)"
    took = human_duration(int(row.get("wait_ns") or 0))
    if row.get("open"):
        text = f"  at exit: {row.get('thread')} was still waiting for {who} when the " \
            f"process stopped ({took})"
    else:
        text = f"  at exit: {row.get('thread')} waited {took} for {who}"
    line = Text(text, style="bold" if row.get("open") else "")
    line.append(": the interpreter waits for every non-daemon thread to end before it exits",
                style="dim")
    return line
