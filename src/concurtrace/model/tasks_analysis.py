"""The asyncio findings (`event_loop_blocked`, `task_exception_unretrieved`,
`task_pending_at_exit`, `task_never_awaited`) and the summary's additive "asyncio" key,
one entry per loop."""

from __future__ import annotations

import bisect
import os
from typing import Any

from concurtrace.model.task_pending import killed_by, last_await, pending_advice, pending_when
from concurtrace.model.task_pending import short_site as _short
from concurtrace.model.tasks import (
    AsyncioData,
    Block,
    Task,
    awaits_ns,
    loop_of,
    loops,
    peak_concurrent,
    wakers_by_kind,
)
from concurtrace.model.timeline import CounterSeries, Finding, Thread, Timeline
from concurtrace.model.units import short_duration as _ms

SHOWN_BLOCKS = 10
ASYNCIO_PART = os.sep + "asyncio" + os.sep


def analyse_asyncio(timeline: Timeline) -> list[Finding]:
    data: AsyncioData = timeline.asyncio
    if not data.enabled:
        timeline.asyncio_summary = {"enabled": False}
        return []
    threads = {(p.pid, t.tid): t for p in timeline.processes.values() for t in p.threads.values()}
    findings: list[Finding] = []
    rows: list[dict[str, Any]] = []
    for pid, loop in loops(data):
        tasks = loop_of(data, pid, loop)
        tid = data.loop_threads.get((pid, loop))
        thread = threads.get((pid, tid)) if tid is not None else None
        where = _where(timeline, pid, thread)
        blocks = sorted((b for b in data.blocks if b.pid == pid and b.loop == loop),
                        key=lambda b: b.start - b.end)
        described = [describe_block(b, thread, data) for b in blocks]
        for block, row in zip(blocks, described, strict=True):
            findings.append(Finding(
                "event_loop_blocked", pid, block.tid,
                f"The event loop on {where} was blocked {_ms(block.end - block.start)} by "
                f"{row['culprit']}: no other task or callback ran meanwhile.",
                "A synchronous call inside a coroutine: move it to asyncio.to_thread(...) "
                "(or loop.run_in_executor), or use an async API for it.", 4))
        ended_roots = [t for t in tasks if t.root and t.ended_ns]
        last_root = max(ended_roots, key=lambda t: t.ended_ns or 0, default=None)
        root_end = last_root.ended_ns if last_root is not None else None
        pending = [t for t in tasks if not t.root and _pending_at_exit(t, root_end)]
        killed = killed_by(timeline, timeline.processes.get(pid)) if pending else None
        for task in pending:
            awaiting = last_await(task)
            findings.append(Finding(
                "task_pending_at_exit", pid, task.tid,
                f"Task '{task.label()}' on {where} was still pending when "
                + pending_when(root_end, killed, last_root)
                + (" (asyncio.run cancelled it)" if task.outcome == "cancelled" else "")
                + (f", awaiting {awaiting}" if awaiting else "")
                + (f"; created at {_short(task.site)}" if task.site else "") + ".",
                pending_advice(task, root_end, killed), 2))
        unretrieved = [t for t in tasks if t.unretrieved]
        for task in unretrieved:
            raised = f", raised at {_short(task.error_at)}" if task.error_at else ""
            findings.append(Finding(
                "task_exception_unretrieved", pid, task.tid,
                f"Task '{task.label()}' on {where} died with {task.exc or 'an exception'}"
                f"{raised}, and nobody retrieved it (no await, result() or exception()).",
                "Await the task (or keep it in a TaskGroup / gather): otherwise its error is "
                "only logged when the task is garbage-collected, if ever.", 4))
        rows.append(_loop_row(data, pid, loop, tasks, where, described, pending, unretrieved,
                              timeline.ended_ns))
    never = _never_awaited(data)
    for row in never:
        findings.append(Finding(
            "task_never_awaited", int(row["pid"]), int(row["tid"]),
            f"Coroutine '{row['coroutine']}' ({_short(row['defined_at'])}) was never awaited"
            + (f" ({row['count']} times)" if row["count"] > 1 else "")
            + (f": created at {_short(row['created_at'])}" if row["created_at"] else
               f": dropped at {_short(row['dropped_at'])}, usually the line that called it")
            + "; its body never ran.",
            "Await it, or run it concurrently with asyncio.create_task(...) (keep a "
            "reference) or a TaskGroup: calling a coroutine function only creates it.", 3))
    timeline.asyncio_summary = {"enabled": True, "slow_ns": data.slow_ns, "loops": rows,
                                "never_awaited": never}
    return findings


def _never_awaited(data: AsyncioData) -> list[dict[str, Any]]:
    """One row per (process, coroutine, where it was dropped), in order of first sight."""
    rows: dict[tuple[Any, ...], dict[str, Any]] = {}
    for record in data.never_awaited:
        key = (record.get("pid"), record.get("coro"), record.get("defined"),
               record.get("dropped"), record.get("created"))
        row = rows.get(key)
        if row is None:
            row = rows[key] = {"pid": record.get("pid"), "tid": record.get("tid"),
                               "coroutine": record.get("coro"),
                               "defined_at": record.get("defined"),
                               "dropped_at": record.get("dropped"),
                               "created_at": record.get("created"), "count": 0}
        row["count"] += 1
    return list(rows.values())


def _pending_at_exit(task: Task, root_end: int | None) -> bool:
    if task.ended_ns is None:
        return True
    return root_end is not None and task.outcome == "cancelled" and task.ended_ns > root_end


def _where(timeline: Timeline, pid: int, thread: Thread | None) -> str:
    proc = timeline.processes.get(pid)
    return f"{thread.name if thread else 'a thread'} of {proc.name if proc else pid}"


def describe_block(block: Block, thread: Thread | None, data: AsyncioData) -> dict[str, Any]:
    task = data.tasks.get((block.pid, block.task)) if block.task is not None else None
    culprit, calls = _culprit(block, thread)
    if culprit is None:
        culprit = f"a step of {task.label()}" if task else block.what
    return {"start_ns": block.start, "dur_ns": block.end - block.start, "culprit": culprit,
            "task": task.name if task else None, "coroutine": task.coro if task else None,
            "callback": None if task else block.what, "calls": calls}


def _culprit(block: Block, thread: Thread | None) -> tuple[str | None, list[str]]:
    """From the function trace: the innermost program function that took most of the
    block, and what it called (None in --light: no function slices)."""
    if thread is None or not thread.slices:
        return None, []
    slices = thread.slices
    starts = slices.ts  # the start column: no object per call
    lo, hi = bisect.bisect_left(starts, block.start), bisect.bisect_right(starts, block.end)
    half = (block.end - block.start) // 2
    chain = [s for s in slices[lo:hi] if s.dur >= half and s.end <= block.end + 1000]
    chain.sort(key=lambda s: (s.ts, -s.dur))
    program = [s for s in chain if "(" in s.name and ASYNCIO_PART not in s.name]
    if not program:
        return None, []
    inner = program[-1].name
    # a builtin it called: one inside it, not one above it (the step's Context.run)
    after = [s.name for s in chain[chain.index(program[-1]) + 1:] if "(" not in s.name][-1:]
    name, _, path = inner.partition(" (")
    text = f"{name}() ({_short(path.rstrip(')'))})"
    if after:
        text += f", calling {after[0]}"
    return text, [s.name for s in program[-3:]] + after


def _loop_row(data: AsyncioData, pid: int, loop: int, tasks: list[Task], where: str,
              blocks: list[dict[str, Any]], pending: list[Task], unretrieved: list[Task],
              end_ns: int) -> dict[str, Any]:
    key = (pid, loop)
    waits: dict[str, dict[str, Any]] = {}
    for kind, durations in awaits_ns(AsyncioData(tasks={(t.pid, t.number): t for t in tasks})
                                     ).items():
        ordered = sorted(durations)
        waits[kind] = {"count": len(ordered), "p50_ns": ordered[len(ordered) // 2],
                       "max_ns": ordered[-1], "total_ns": sum(ordered)}
    for kind, wakers in wakers_by_kind(data, tasks).items():
        if kind in waits:  # most first
            waits[kind]["woken_by"] = dict(sorted(wakers.items(), key=lambda kv: -kv[1]))
    samples = data.samples.get(key, [])
    outcomes: dict[str, int] = {}
    for task in tasks:
        outcome = task.outcome or "pending"
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    return {
        "pid": pid, "tid": data.loop_threads.get(key), "thread": where,
        "tasks_created": len(tasks), "peak_concurrent": peak_concurrent(tasks, end_ns),
        "steps": sum(len(t.steps) for t in tasks), "outcomes": outcomes,
        "awaits": dict(sorted(waits.items(), key=lambda kv: -kv[1]["max_ns"])),
        "blocks": blocks[:SHOWN_BLOCKS], "blocked_ns": sum(b["dur_ns"] for b in blocks),
        "max_ready": max((s[1] for s in samples), default=0),
        "max_lag_ns": max((s[2] for s in samples), default=0),
        "pending_at_exit": [t.label() for t in pending],
        "unretrieved": [{"task": t.label(), "exception": t.exc, "raised_at": t.error_at}
                        for t in unretrieved]}


def loop_counters(timeline: Timeline) -> list[CounterSeries]:
    """Per loop, "ready tasks" (the ready queue's length) and "loop lag ms" (how late its
    timers ran), as process counters; named after the loop's thread when a process has
    several loops."""
    data = timeline.asyncio
    out: list[CounterSeries] = []
    per_pid: dict[int, int] = {}
    for pid, _loop in data.samples:
        per_pid[pid] = per_pid.get(pid, 0) + 1
    for (pid, loop), samples in sorted(data.samples.items()):
        suffix = ""
        if per_pid[pid] > 1:
            proc = timeline.processes.get(pid)
            tid = data.loop_threads.get((pid, loop))
            thread = proc.threads.get(tid) if proc is not None and tid is not None else None
            suffix = f" ({thread.name if thread else f'loop {loop}'})"
        out.append(CounterSeries(pid, f"ready tasks{suffix}", [(ts, r) for ts, r, _ in samples]))
        out.append(CounterSeries(pid, f"loop lag ms{suffix}",
                                 [(ts, lag / 1e6) for ts, _, lag in samples]))
    return out
