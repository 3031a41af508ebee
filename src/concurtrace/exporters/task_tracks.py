"""asyncio child tracks of each loop's thread: "<thread> event loop" with a "loop blocked"
slice per slow step or callback, then one track per task, "task <name> (<coroutine>)",
with "running" slices for its steps and "awaiting <what>" between them.

Flows: create_task (the creator's step) -> the new task's first step; an awaited task's
last step -> the step where its awaiter resumed; the step whose Lock release, Event set,
Condition notify, Semaphore release or Queue put/get woke a waiting task -> the step where
it resumed ("woken_by" on its awaiting slice); run_in_executor / to_thread (job_flows).
The function slices of each step stay on the thread's own track.
"""

from __future__ import annotations

from itertools import count

from concurtrace.exporters.job_flows import job_slices
from concurtrace.model.tasks import AsyncioData, Block, Task, as_args, created_by, loops
from concurtrace.model.tasks_analysis import describe_block
from concurtrace.model.timeline import Instant, Slice, Thread, Timeline

FLOW_BASE = 1 << 41  # above the sync flows' ids
Tracks = dict[tuple[int, int], list[tuple[str, list[Slice], list[Instant]]]]


def task_tracks(timeline: Timeline) -> Tracks:
    """(pid, tid of the loop's thread) -> [(track name, slices, instants)]."""
    data = timeline.asyncio
    threads = {(p.pid, t.tid): t for p in timeline.processes.values() for t in p.threads.values()}
    out: Tracks = {}
    flows = count(FLOW_BASE)
    for pid, loop in loops(data):
        tid = data.loop_threads.get((pid, loop))
        thread = threads.get((pid, tid)) if tid is not None else None
        if thread is None:
            continue
        rows = out.setdefault((pid, thread.tid), [])
        blocked = [_blocked_slice(b, thread, timeline) for b in data.blocks
                   if b.pid == pid and b.loop == loop]
        if blocked:
            rows.append((f"{thread.name} event loop", sorted(blocked, key=lambda s: s.ts), []))
        tasks = sorted((t for t in data.tasks.values() if t.pid == pid and t.loop == loop),
                       key=lambda t: (t.created_ns or (t.steps[0].start if t.steps else 0)))
        pieces = {t.number: _task_slices(t, _end(thread, timeline), data) for t in tasks}
        _flows(tasks, pieces, flows, data.wakes)
        rows.extend((f"task {t.label()}", pieces[t.number], []) for t in tasks)
        jobs = [j for j in data.jobs.values() if j.pid == pid and j.loop == loop]
        for worker, calls in job_slices(jobs, pieces, flows).items():
            if (pid, worker) in threads:
                out.setdefault((pid, worker), []).append(
                    (f"{threads[(pid, worker)].name} executor calls", calls, []))
    return out


def _end(thread: Thread, timeline: Timeline) -> int:
    return thread.ended_ns or timeline.ended_ns


def _blocked_slice(block: Block, thread: Thread, timeline: Timeline) -> Slice:
    row = describe_block(block, thread, timeline.asyncio)
    what = row["coroutine"] or row["callback"] or "?"
    return Slice(int(row["start_ns"]), int(row["dur_ns"]), f"loop blocked: {what}",
                 {"culprit": row["culprit"], "task": row["task"],
                  "calls": " > ".join(row["calls"]) or None})


def _task_slices(task: Task, end_ns: int, data: AsyncioData) -> list[Slice]:
    out: list[Slice] = []
    by = created_by(data, task)
    args = as_args(task, by)
    if task.created_ns is not None and task.steps and not task.eager \
            and task.steps[0].start > task.created_ns:
        out.append(Slice(task.created_ns, task.steps[0].start - task.created_ns, "scheduled",
                         {"created_at": task.site, "created_by": by}))
    for index, step in enumerate(task.steps):
        out.append(Slice(step.start, max(0, step.end - step.start), "running", dict(args)))
        if step.awaits is None:
            continue
        until = task.steps[index + 1].start if index + 1 < len(task.steps) else end_ns
        if until > step.end:
            out.append(Slice(step.end, until - step.end, f"awaiting {step.awaits}",
                             {"await_at": step.at,
                              "woken_by": _woken_by(data, task, step.end, until),
                              "unfinished": True if index + 1 == len(task.steps) else None}))
    return out


def _woken_by(data: AsyncioData, task: Task, since: int, until: int) -> str | None:
    """"task worker (work) by Queue.put": the last wake of task in (since, until]."""
    wakes = [w for w in data.wakes.get((task.pid, task.number), []) if since < w[0] <= until]
    if not wakes:
        return None
    _, by, op = wakes[-1]
    waker = data.tasks.get((task.pid, by)) if by is not None else None
    who = f"task {waker.label()}" if waker is not None else "a callback"
    return f"{who} by {op}"


def _running_at(slices: list[Slice], ts: int) -> Slice | None:
    for piece in slices:
        if piece.name == "running" and piece.ts <= ts <= piece.end:
            return piece
    return None


def _first_running(slices: list[Slice]) -> Slice | None:
    return next((s for s in slices if s.name == "running"), None)


def _flows(tasks: list[Task], pieces: dict[int, list[Slice]], flows: count[int],
           wakes: dict[tuple[int, int], list[tuple[int, int | None, str]]]) -> None:
    for task in tasks:
        first = _first_running(pieces[task.number])
        creator = pieces.get(task.by) if task.by is not None else None
        source = _running_at(creator, task.created_ns) if creator and task.created_ns else None
        if first is not None and source is not None:
            _link(source, first, next(flows))
        steps = pieces[task.number]
        runs = [s for s in steps if s.name == "running"]
        for index, step in enumerate(task.steps[:-1]):
            awaited = pieces.get(step.awaits_task) if step.awaits_task is not None else None
            done = [s for s in awaited if s.name == "running"][-1:] if awaited else []
            if done and index + 1 < len(runs) and done[0].end <= runs[index + 1].ts:
                _link(done[0], runs[index + 1], next(flows))
        for ts, by, _op in wakes.get((task.pid, task.number), []):  # a Lock's release ...
            waker = _running_at(pieces[by], ts) if by in pieces else None
            resumed = next((s for s in runs if s.ts >= ts), None)
            if waker is not None and resumed is not None:
                _link(waker, resumed, next(flows))


def _link(source: Slice, target: Slice, flow: int) -> None:
    source.flows_out = (source.flows_out or []) + [flow]
    target.flows_in = (target.flows_in or []) + [flow]
