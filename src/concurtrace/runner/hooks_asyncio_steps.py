"""The asyncio hooks' bookkeeping of each callback the loop ran (hooks_asyncio): task steps
as rows batched into "asteps" records (hooks_asyncio_state), what each task awaits after
its step (await_ids), how it ended, and slow plain callbacks ("acb"). Handle._run's hook
(hooks_asyncio_run) writes a task's common step itself and calls in here for what a step
awaits (when named) and the rarer cases: a task's first, last or slow step, a plain
callback that was slow, a loop not numbered yet; uvloop's steps come through stepped.
"""

from __future__ import annotations

import threading
import time
from types import CoroutineType
from typing import Any

from concurtrace.runner.hooks_asyncio_names import (
    CODE_KINDS,
    PROGRAM,
    awaited,
    awaiting,
    callback_name,
    coro_name,
    error_site,
    task_name,
    wait_kind,
)
from concurtrace.runner.hooks_asyncio_state import (
    DUR_MAX,
    STEP_COLUMNS,
    UNNAMED_ID,
    WALKS,
    State,
)
from concurtrace.runner.hooks_asyncio_uvloop import is_step

__all__ = ["IS_TASK_TYPE", "STEP_COLUMNS", "UNNAMED_ID", "WALKS", "State", "after_step",
           "await_ids", "loop_number", "ran", "ran_safely", "stepped", "stepped_rarely"]

_now = time.monotonic_ns
_tid = threading.get_native_id
TASK_TYPES: tuple[type, ...] = ()  # asyncio's Task types, set at install


class _TaskTypes(dict[type, bool]):
    """type(callback.__self__) -> whether it is a Task type: a subscript instead of an
    isinstance against asyncio's Task types after every callback; a miss learns."""

    def __missing__(self, owner_type: type) -> bool:
        if len(self) >= 1000:  # types made on the fly: start over rather than grow
            self.clear()
        known = self[owner_type] = issubclass(owner_type, TASK_TYPES)
        return known


IS_TASK_TYPE = _TaskTypes()


def ran_safely(state: State, handle: Any, start: int, end: int) -> None:
    try:
        ran(state, handle, start, end)
    except Exception:  # noqa: BLE001 - a handle or task type of the program's we misread
        pass


def ran(state: State, handle: Any, start: int, end: int) -> None:
    """After any callback: a task step is a row; a plain one is written if it was slow."""
    callback = handle._callback
    owner: Any = getattr(callback, "__self__", None)
    is_task = IS_TASK_TYPE[type(owner)]
    lp = loop_number(state, handle, start)
    if is_task and is_step(callback):
        stepped(state, owner, lp, start, end)
    elif end - start >= state.slow_ns:
        state.sink.write({"ev": "acb", "ts": start, "end": end, "tid": _tid(), "loop": lp,
                          "cb": callback_name(callback)})


def loop_number(state: State, handle: Any, start: int) -> int:
    """The handle's loop's number."""
    loop = handle._loop
    lp = state.ids.get(id(loop))  # numbered like tasks: a closed loop's id() is reused
    if lp is None:
        lp = state.task_id(loop)[0]
        state.next_sample = 0  # its first counters at once
    return lp


def stepped(state: State, task: Any, lp: int, start: int, end: int) -> None:
    """A task's step (Handle._run's hook does the same inline)."""
    number = state.ids.get(id(task))
    if number is None or number in state.unnamed or end - start >= state.slow_ns \
            or end - start > DUR_MAX or task.done():
        stepped_rarely(state, task, number, lp, start, end)
        return
    waiter = task._fut_waiter
    awt = state.ids.get(id(waiter), 0)  # ids holds live tasks and loops, not None
    # --light: WALKS awaits named a ms; every one where no _run_once refills (uvloop)
    if state.walks or start >= state.next_sample:
        state.walks -= 1
        kind_id, where_id, awt = await_ids(state, task, waiter, awt)
    else:
        kind_id, where_id = UNNAMED_ID, 0
    state.emit_flat(start, (start, end - start, state.thread_id(), lp, number, kind_id,
                            where_id, awt))


def await_ids(state: State, task: Any, waiter: Any, awt: int) -> tuple[int, int, int]:
    """(number of what the task awaits, of the program's await line, of the task it
    awaits: awt, or 0) for a pending task after its step. The common case first, without
    a call: a chain of the program's coroutines, all known, that ends awaiting an asyncio
    coroutine whose kind is known (`await reader.read()`); names.awaited otherwise."""
    obj: Any = task.get_coro()
    where: Any = None
    while type(obj) is CoroutineType and not awt:
        code = obj.cr_code
        entry = CODE_KINDS.get(id(code))
        if entry is None or entry[0] is not code:
            break
        if entry[2]:
            if where is None:
                break
            kind: str = entry[1]
            frame: Any = where.cr_frame
            where_id = state.wheres.get((id(frame.f_code), frame.f_lasti))
            return state.names.get(kind) or state.name_id(kind), \
                where_id or state.where_id(frame), 0
        if entry[1] != PROGRAM:
            break
        where, obj = obj, obj.cr_await
    found, frame = awaited(task)
    kind = wait_kind(task, waiter, found)
    if kind == "a future" and state.executor_futures.get(id(waiter)) is waiter:
        kind = "run_in_executor"
    where_id = 0
    if frame is not None:
        where_id = state.wheres.get((id(frame.f_code), frame.f_lasti)) \
            or state.where_id(frame)
    if not awt and isinstance(waiter, TASK_TYPES):  # a task not numbered yet
        awt = state.task_id(waiter)[0]
    return state.names.get(kind) or state.name_id(kind), where_id, awt


def stepped_rarely(state: State, task: Any, number: int | None, lp: int, start: int,
                    end: int) -> None:
    """A task's first step, its last, or a slow one: the row carries a dict of more."""
    extra: dict[str, Any] = {}
    if number is None:  # not made by loop.create_task (asyncio.Task(...) called directly)
        number = state.task_id(task)[0]
        # 3.12.1 crashes in get_coro() of a finished eager task: only ask a pending one
        coro = None if task.done() else task.get_coro()
        extra = {"name": task_name(task), "coro": coro_name(coro)}
    elif number in state.unnamed:
        state.unnamed.discard(number)
        extra = {"name": task_name(task)}
    row: list[Any] = [start, end, state.thread_id(), lp, number, None, None, None]
    if not task.done():
        waiter = task._fut_waiter
        kind, where = awaiting(task, waiter)
        if kind == "a future" and state.executor_futures.get(id(waiter)) is waiter:
            kind = "run_in_executor"
        row[5] = state.name_id(kind)
        if where is not None:
            row[6] = state.name_id(where)
        if isinstance(waiter, TASK_TYPES):
            row[7] = state.task_id(waiter)[0]
    else:
        extra = _ended(state, task, number, extra)
    slow = end - start >= state.slow_ns
    if slow:
        extra["slow"] = True
    if extra:
        row.append(extra)
    state.emit(row)
    if slow:  # a loop block goes out at once
        state.flush()


def _ended(state: State, task: Any, number: int, record: dict[str, Any]) -> dict[str, Any]:
    if task.cancelled():
        record["out"] = "cancelled"
        return record
    error = getattr(task, "_exception", None)  # not exception(): that marks it retrieved
    record["out"] = "exception" if error is not None else "result"
    if error is not None:
        record["exc"] = type(error).__name__
        record["msg"] = str(error)[:200]
        record["at"] = error_site(error)
        state.failed[number] = task
        state.failed_ids[id(task)] = number
    return record


def after_step(state: State, task: Any, record: dict[str, Any]) -> None:
    """An eager task's first step, in its atask record."""
    if not task.done():
        waiter = getattr(task, "_fut_waiter", None)
        kind, where = awaiting(task, waiter)
        record["aw"], record["at"] = kind, where
        if isinstance(waiter, TASK_TYPES):
            record["awt"] = state.task_id(waiter)[0]
        return
    _ended(state, task, int(record["task"]), record)
