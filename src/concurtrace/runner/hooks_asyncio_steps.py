"""The asyncio hooks' bookkeeping of each callback the loop ran (hooks_asyncio): task steps
as rows batched into "asteps" records (hooks_asyncio_state), what each task awaits after
its step, how it ended, loop counters ("aloop") and slow plain callbacks ("acb"). Kept
cheap: it runs after every callback of every loop. Handle._run's hook tells a task step
from a plain callback itself and calls in here only for a step or a rarer case: a plain
callback that was slow, a TimerHandle (its lag), a loop whose counters are due.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from concurtrace.runner.hooks_asyncio_names import (
    awaited,
    awaiting,
    callback_name,
    coro_name,
    error_site,
    task_name,
    wait_kind,
)
from concurtrace.runner.hooks_asyncio_state import (
    BATCH_NS,
    BATCH_ROWS,
    STEP_COLUMNS,
    WIDTH,
    State,
)
from concurtrace.runner.hooks_asyncio_uvloop import is_step

__all__ = ["STEP_COLUMNS", "State", "after_step", "loop_number", "ran", "ran_safely",
           "stepped"]

_now = time.monotonic_ns
_tid = threading.get_native_id
SAMPLE_NS = 10_000_000  # loop counters: one sample per loop per 10 ms at most
CHECK_NS = 1_000_000  # how often the callbacks look whether a loop's sample is due
TASK_TYPES: tuple[type, ...] = ()  # asyncio's Task types, set at install
HANDLE: type = object  # asyncio.events.Handle, set at install
FLAT_MAX = BATCH_ROWS * WIDTH


def ran_safely(state: State, handle: Any, start: int, end: int) -> None:
    try:
        ran(state, handle, start, end)
    except Exception:  # noqa: BLE001 - a handle or task type of the program's we misread
        pass


def ran(state: State, handle: Any, start: int, end: int) -> None:
    """After any callback: a task step is a row; a plain one is written if it was slow."""
    owner: Any = getattr(handle._callback, "__self__", None)
    lp = loop_number(state, handle, start)
    if isinstance(owner, TASK_TYPES) and is_step(handle._callback):
        stepped(state, owner, lp, start, end)
    elif end - start >= state.slow_ns:
        state.sink.write({"ev": "acb", "ts": start, "end": end, "tid": _tid(), "loop": lp,
                          "cb": callback_name(handle._callback)})


def loop_number(state: State, handle: Any, start: int) -> int:
    """The handle's loop's number; its counters sampled when due, a TimerHandle's lag."""
    loop = handle._loop
    lp = state.ids.get(id(loop))  # numbered like tasks: a closed loop's id() is reused
    if lp is None:
        lp = state.task_id(loop)[0]
        state.next_sample = 0  # its first counters at once
    if start >= state.next_sample or type(handle) is not HANDLE:
        _loop_health(state, handle, loop, lp, start)
    return lp


def _loop_health(state: State, handle: Any, loop: Any, lp: int, start: int) -> None:
    sample = state.loops.get(lp)
    if sample is None:
        sample = state.loops[lp] = [0, 0]
    # how late a TimerHandle ran (a getattr miss on each plain Handle costs 0.3 us)
    when = getattr(handle, "_when", None) if type(handle) is not HANDLE else None
    if when is not None:
        lag = start - int(when * 1e9)
        if lag > sample[1]:
            sample[1] = lag
    if start - sample[0] >= SAMPLE_NS:
        state.sink.write({"ev": "aloop", "ts": start, "tid": _tid(), "loop": lp,
                          "ready": len(getattr(loop, "_ready", ())), "lag": sample[1]})
        sample[0], sample[1] = start, 0
    # shared by the loops of all threads: each one's counters at most CHECK_NS late
    state.next_sample = min(start + CHECK_NS, sample[0] + SAMPLE_NS)


def stepped(state: State, task: Any, lp: int, start: int, end: int) -> None:
    number = state.ids.get(id(task))
    if number is None or number in state.unnamed or task.done() \
            or end - start >= state.slow_ns:
        _stepped_rarely(state, task, number, lp, start, end)
        return
    waiter = task._fut_waiter
    kind, frame = awaited(task)
    if waiter is None:
        if kind is None:
            kind = wait_kind(task, waiter, kind)
    elif kind is None or isinstance(waiter, TASK_TYPES) \
            or type(waiter).__name__ == "_GatheringFuture":  # wait_kind's other cases
        kind = wait_kind(task, waiter, kind)
        if kind == "a future" and state.executor_futures.get(id(waiter)) is waiter:
            kind = "run_in_executor"
    try:
        tid: int = state.tids.tid
    except AttributeError:
        tid = state.thread_id()
    # state.name_id, where_id and emit_flat, their common cases inline (a call each less)
    kind_id = state.names.get(kind) or state.name_id(kind)
    where_id = 0
    if frame is not None:
        where_id = state.wheres.get((id(frame.f_code), frame.f_lasti)) \
            or state.where_id(frame)
    row = (start, end, tid, lp, number, kind_id, where_id,
           state.task_id(waiter)[0] if isinstance(waiter, TASK_TYPES) else 0)
    flat = state.flat
    if flat and (len(flat) >= FLAT_MAX or start - flat[0] >= BATCH_NS):
        state.flush()
    state.flat += row  # one C call, nothing between its read and write: no row lost


def _stepped_rarely(state: State, task: Any, number: int | None, lp: int, start: int,
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
