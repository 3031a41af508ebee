"""asyncio tasks and loop health, rebuilt from the records runner/hooks_asyncio writes.

Record kinds: "atask" (a task created: loop, task, name, coro, site, by, cb: the plain
callback that created it outside any task, root, eager),
"asteps" (rows: a batch of steps, each one step of a task on its loop, a
list in "cols" order: ts, end, tid, loop, task, aw/at/awt, what it awaits and where, then
optionally a dict: name, coro, slow, out: result | exception | cancelled, with exc/msg/at;
packed: more rows without the dict, as base64 little-endian ints, "pcols" and "pfmt"
saying which and how), "acb" (a
plain callback that ran longer than the slow threshold), "aloop" (loop counters: ready,
the ready-queue length, and lag, the largest lateness of a timer since the last sample),
"aunret" (a task's exception never retrieved), "asubmit"/"awork" (a run_in_executor call
submitted, and run by a thread pool's worker), "awake" (a task waiting on an asyncio
Lock/Event/Condition/Semaphore/Queue woken: by which task's call), "anever" (a coroutine
never awaited: its qualname, where it was defined, the line that was running when it was
dropped, where it was created if origin tracking was on). Tasks and loops are keyed by (pid, number)
and (pid, loop number): each loop is numbered once, as a closed loop's id() is reused.
"""

from __future__ import annotations

import binascii
import struct
from typing import Any

from concurtrace.model.records import RawRecord
from concurtrace.model.task_types import AsyncioData as AsyncioData  # re-exported: their
from concurtrace.model.task_types import Block as Block  # old home
from concurtrace.model.task_types import Job as Job
from concurtrace.model.task_types import Step as Step
from concurtrace.model.task_types import Task as Task
from concurtrace.model.units import ASYNCIO_SLOW_NS


def build_tasks(records: list[RawRecord], enabled: bool = True,
                slow_ns: int = ASYNCIO_SLOW_NS) -> AsyncioData:
    """records in time order (records.read_session)."""
    data = AsyncioData(enabled, slow_ns)
    unretrieved: list[RawRecord] = []
    names = _names(records)
    for record in records:
        ev = record["ev"]
        if not ev.startswith("a"):
            continue
        pid = int(record["pid"])
        if ev == "atask":
            _created(data, pid, record)
        elif ev == "asteps":
            columns = record.get("cols")
            for row in [*packed_rows(record), *(record.get("rows") or [])]:
                step = _row(columns, row, names.get(pid, {}))
                if step is not None and (pid, int(step["task"])) not in data.hidden:
                    _step(data, pid, step)
        elif ev == "acb":
            data.loop_threads.setdefault((pid, int(record["loop"])), int(record["tid"]))
            data.blocks.append(Block(pid, int(record["tid"]), int(record["loop"]),
                                     int(record["ts"]), int(record["end"]),
                                     str(record.get("cb") or "a callback")))
        elif ev == "aloop":
            key = (pid, int(record["loop"]))
            data.loop_threads.setdefault(key, int(record["tid"]))
            data.samples.setdefault(key, []).append(
                (int(record["ts"]), int(record.get("ready") or 0), int(record.get("lag") or 0)))
        elif ev == "aunret":
            unretrieved.append(record)
        elif ev == "anever":
            data.never_awaited.append(record)
        elif ev in ("asubmit", "awork"):
            _job(data, pid, record)
        elif ev == "awake":
            by = record.get("by")
            data.wakes.setdefault((pid, int(record["task"])), []).append(
                (int(record["ts"]), int(by) if isinstance(by, int) else None,
                 str(record.get("op") or "?")))
    for record in unretrieved:  # its task's last steps may come in a later batch
        task = data.tasks.get((int(record["pid"]), int(record.get("task") or 0)))
        if task is not None:
            task.unretrieved = True
            task.exc = task.exc or record.get("exc")
    for task in data.tasks.values():
        task.steps.sort(key=lambda s: s.start)
    data.blocks.sort(key=lambda b: b.start)
    return data


def _names(records: list[RawRecord]) -> dict[int, dict[int, str]]:
    """pid -> the numbered texts of its "asteps" records (what is awaited, where)."""
    out: dict[int, dict[int, str]] = {}
    for record in records:
        given = record.get("names") if record["ev"] == "asteps" else None
        if isinstance(given, dict):
            table = out.setdefault(int(record["pid"]), {})
            for number, text in given.items():
                table[int(number)] = str(text)
    return out


def packed_rows(record: RawRecord) -> list[list[Any]]:
    """An "asteps" record's packed common rows, in its "cols" order."""
    return unpack(record.get("packed"), record.get("pcols") or record.get("cols"),
                  record.get("pfmt"), record.get("penc"))


def unpack(packed: Any, columns: Any, row_format: Any = None,
           encoding: Any = None) -> list[list[Any]]:
    """The common rows of an "asteps" record, as rows in "cols" order: hex ("penc") or
    base64 (no "penc": before) of little-endian ints, one struct row_format ("pfmt")
    per row in "pcols" order, whose "dur" is the step's duration
    (runner/hooks_asyncio_state.py); int64s in "cols" order without a format (before); 0
    in aw, at and awt is none."""
    if not isinstance(packed, str) or not isinstance(columns, list | tuple) or not columns:
        return []
    try:
        data = bytes.fromhex(packed) if encoding == "hex" else binascii.a2b_base64(packed)
        width = len(columns)
        if isinstance(row_format, str) and len(row_format) == width:
            size = struct.calcsize("<" + row_format)
            values = struct.unpack("<" + row_format * (len(data) // size),
                                   data[:len(data) // size * size])
        else:
            values = struct.unpack(f"<{len(data) // 8}q", data[:len(data) // 8 * 8])
    except (binascii.Error, ValueError, struct.error):
        return []
    names = list(columns)
    duration = names.index("dur") if "dur" in names else None
    optional = [i for i, name in enumerate(names) if name in ("aw", "at", "awt")]
    rows = []
    for start in range(0, len(values) - width + 1, width):
        row: list[Any] = list(values[start:start + width])
        for i in optional:
            if row[i] == 0:
                row[i] = None
        if duration is not None:  # back to "cols": ts, end, ...
            row[duration] = row[0] + row[duration]
        rows.append(row)
    return rows


def _row(columns: Any, row: Any, names: dict[int, str]) -> RawRecord | None:
    """A step row: a list in the record's "cols" order (aw and at numbered in names), then
    a dict of the rarer facts (name, coro, out, exc, msg, at, slow); a dict in older traces."""
    if isinstance(row, dict):
        return row
    if not isinstance(row, list) or not isinstance(columns, list):
        return None
    step: RawRecord = dict(zip(columns, row, strict=False))
    for key in ("aw", "at"):
        if isinstance(step.get(key), int):
            step[key] = names.get(step[key])
    if len(row) > len(columns) and isinstance(row[len(columns)], dict):
        step.update(row[len(columns)])
    return step


def _job(data: AsyncioData, pid: int, record: RawRecord) -> None:
    key = (pid, int(record["job"]))
    job = data.jobs.get(key)
    if record["ev"] == "asubmit":
        job = data.jobs[key] = Job(
            pid, key[1], int(record["loop"]), int(record["tid"]), int(record["ts"]),
            str(record.get("kind") or "run_in_executor"), str(record.get("fn") or "?"),
            record.get("site"), str(record.get("pool") or "threads"),
            record.get("task") if isinstance(record.get("task"), int) else None,
            job.worker_tid if job else None, job.start if job else None,
            job.end if job else None)
    else:  # the worker's call may be written before the submit (it is timed first)
        if job is None:
            job = data.jobs[key] = Job(pid, key[1], 0, 0, int(record["ts"]), "?", "?", None,
                                       "threads")
        job.worker_tid, job.start, job.end = int(record["tid"]), int(record["ts"]), \
            int(record["end"])


def _task(data: AsyncioData, pid: int, record: RawRecord) -> Task:
    key = (pid, int(record["task"]))
    task = data.tasks.get(key)
    if task is None:
        task = data.tasks[key] = Task(pid, key[1], int(record["loop"]), int(record["tid"]),
                                      str(record.get("name") or f"task {key[1]}"),
                                      str(record.get("coro") or "?"))
    return task


def _created(data: AsyncioData, pid: int, record: RawRecord) -> None:
    task = _task(data, pid, record)  # its first steps may have come first, in a batch
    task.coro = str(record.get("coro") or task.coro)
    if not task.steps:  # else the first step's name: create_task's caller may rename it
        task.name = str(record.get("name") or task.name)
    task.created_ns, task.site = int(record["ts"]), record.get("site")
    task.by = record.get("by") if isinstance(record.get("by"), int) else None
    task.by_callback = str(record["cb"]) if record.get("cb") else None
    task.root, task.eager = bool(record.get("root")), bool(record.get("eager"))
    if record.get("internal") and task.root:  # asyncio.run's own shutdown steps
        data.hidden.add(key := (pid, task.number))
        del data.tasks[key]
        data.blocks = [b for b in data.blocks if (b.pid, b.task) != key]
        return
    if task.eager:  # its first step ran inside create_task
        if task.steps:  # later steps came first: theirs is the name it got since (3.12's
            record = {key: value for key, value in record.items() if key != "name"}
        _step(data, pid, record)  # create_task(name=...) sets it after the eager step)


def _step(data: AsyncioData, pid: int, record: RawRecord) -> None:
    task = _task(data, pid, record)
    if record.get("name"):
        task.name = str(record["name"])
    if record.get("coro") and task.coro == "?":
        task.coro = str(record["coro"])
    data.loop_threads.setdefault((pid, task.loop), int(record["tid"]))
    step = Step(int(record["ts"]), int(record["end"]), record.get("aw"), record.get("at"),
                record.get("awt") if isinstance(record.get("awt"), int) else None)
    task.steps.append(step)
    out = record.get("out")
    if out:
        task.ended_ns, task.outcome = step.end, str(out)
        task.exc, task.message = record.get("exc"), record.get("msg")
        task.error_at = record.get("at")
        step.at = None
    if record.get("slow") or step.end - step.start >= data.slow_ns:
        data.blocks.append(Block(pid, int(record["tid"]), task.loop, step.start, step.end,
                                 task.coro, task.number))


def awaits_ns(data: AsyncioData) -> dict[str, list[int]]:
    """Per kind of wait, the durations of the awaits between steps (in time order)."""
    out: dict[str, list[int]] = {}
    for task in data.tasks.values():
        for step, after in zip(task.steps, task.steps[1:], strict=False):
            if step.awaits:
                out.setdefault(_kind(step.awaits), []).append(max(0, after.start - step.end))
    return out


def wakers_by_kind(data: AsyncioData, tasks: list[Task]) -> dict[str, dict[str, int]]:
    """Per kind of wait, who woke the awaits (a Lock's release, a Queue's put ...): the
    waking task's name, or "a callback", and how many times (data.wakes)."""
    out: dict[str, dict[str, int]] = {}
    for task in tasks:
        wakes = data.wakes.get((task.pid, task.number))
        if not wakes:
            continue
        for step, after in zip(task.steps, task.steps[1:], strict=False):
            inside = [w for w in wakes if step.end < w[0] <= after.start] if step.awaits else []
            if inside:
                by = inside[-1][1]
                waker = data.tasks.get((task.pid, by)) if by is not None else None
                name = waker.name if waker is not None else "a callback"
                counts = out.setdefault(_kind(str(step.awaits)), {})
                counts[name] = counts.get(name, 0) + 1
    return out


def _kind(awaits: str) -> str:
    return "another task" if awaits.startswith("task ") else awaits


def peak_concurrent(tasks: list[Task], end_ns: int) -> int:
    """The most tasks alive (created, not ended) at once."""
    events: list[tuple[int, int]] = []
    for task in tasks:
        start = task.created_ns if task.created_ns is not None else (
            task.steps[0].start if task.steps else None)
        if start is None:
            continue
        events.append((start, 1))
        events.append((task.ended_ns if task.ended_ns is not None else end_ns, -1))
    events.sort(key=lambda e: (e[0], e[1]))
    alive = peak = 0
    for _, change in events:
        alive += change
        peak = max(peak, alive)
    return peak


def loop_of(data: AsyncioData, pid: int, loop: int) -> list[Task]:
    return [t for t in data.tasks.values() if t.pid == pid and t.loop == loop]


def loops(data: AsyncioData) -> list[tuple[int, int]]:
    seen = {(t.pid, t.loop) for t in data.tasks.values()} | set(data.samples) \
        | {(b.pid, b.loop) for b in data.blocks}
    return sorted(seen)


def created_by(data: AsyncioData, task: Task) -> str | None:
    """"task <label>", "callback <name>", or None (asyncio.run's main, an unknown creator)."""
    creator = data.tasks.get((task.pid, task.by)) if task.by is not None else None
    if creator is not None:
        return f"task {creator.label()}"
    return f"callback {task.by_callback}" if task.by_callback else None


def as_args(task: Task, by: str | None = None) -> dict[str, Any]:
    return {"task": task.name, "coroutine": task.coro, "created_at": task.site,
            "created_by": by,
            "outcome": task.outcome or "pending when its process stopped",
            "exception": task.exc, "message": task.message, "raised_at": task.error_at,
            # false: "Task exception was never retrieved"; true: none came before the end
            "exception_retrieved": (not task.unretrieved) if task.outcome == "exception"
            else None}
