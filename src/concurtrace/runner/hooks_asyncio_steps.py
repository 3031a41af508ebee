"""The asyncio hooks' bookkeeping of each callback the loop ran (hooks_asyncio): task steps
as rows batched into "asteps" records, what each task awaits after its step, how it
ended, loop counters ("aloop") and slow plain callbacks ("acb"). Kept cheap: it runs
after every callback of every loop.
"""

from __future__ import annotations

import threading
import time
import weakref
from typing import Any

from concurtrace.runner.hooks_asyncio_names import (
    awaiting,
    callback_name,
    coro_name,
    error_site,
    task_name,
)
from concurtrace.runner.hookset import Sink

_now = time.monotonic_ns
_tid = threading.get_native_id
SAMPLE_NS = 10_000_000  # loop counters: one sample per loop per 10 ms at most
# aw and at: numbers of texts given in a batch's "names" (State.name_id)
STEP_COLUMNS = ("ts", "end", "tid", "loop", "task", "aw", "at", "awt")
BATCH_ROWS, BATCH_NS = 64, 50_000_000  # steps go out in one record per 64 or per 50 ms
TASK_TYPES: tuple[type, ...] = ()  # asyncio's Task types, set at install
HANDLE: type = object  # asyncio.events.Handle, set at install


class State:
    def __init__(self, sink: Sink, slow_ns: int) -> None:
        self.sink, self.slow_ns = sink, slow_ns
        # id(task) -> our number, dropped by a weakref callback when the task dies (a
        # plain dict: a WeakKeyDictionary lookup makes a weakref on every step)
        self.ids: dict[int, int] = {}
        self.refs: dict[int, weakref.ref[Any]] = {}
        self.next_id = 0
        self.failed: weakref.WeakValueDictionary[int, Any] = weakref.WeakValueDictionary()
        # id(task) -> number of each failed task: a cycle's collection clears the weak
        # entries before "never retrieved" is logged from the task's finalizer
        self.failed_ids: dict[int, int] = {}
        self.unnamed: set[int] = set()  # create_task's caller may name it after it returns
        self.loops: dict[int, list[int]] = {}  # loop number -> [last sample ts, max lag ns]
        self.on = True
        # step rows, lists in STEP_COLUMNS order (+ a dict of the rarer facts): a list
        # encodes in half a dict's time
        self.batch: list[list[Any]] = []
        # what tasks await and where: each text numbered once per process, its number in
        # the rows, the text in the batch that first uses it (rows of ints encode fast)
        self.names: dict[str, int] = {}
        self.new_names: dict[int, str] = {}
        # id(future) -> the future run_in_executor returned: its awaits are named after it
        self.executor_futures: weakref.WeakValueDictionary[int, Any] = \
            weakref.WeakValueDictionary()

    def name_id(self, text: str) -> int:
        number = self.names.get(text)
        if number is None:
            number = self.names[text] = len(self.names) + 1
            self.new_names[number] = text
        return number

    def emit(self, row: list[Any]) -> None:
        batch = self.batch
        batch.append(row)
        if len(batch) >= BATCH_ROWS or row[0] - batch[0][0] >= BATCH_NS:
            self.flush()

    def forked(self) -> None:
        self.batch = []
        self.names, self.new_names = {}, {}
        self.loops.clear()

    def flush(self) -> None:
        rows, self.batch = self.batch, []
        if rows:
            record: dict[str, Any] = {"ev": "asteps", "ts": rows[0][0], "cols": STEP_COLUMNS,
                                      "rows": rows}
            if self.new_names:
                record["names"], self.new_names = self.new_names, {}
            self.sink.write(record)

    def task_id(self, task: Any) -> tuple[int, bool]:
        """(our number for the task, or loop, first time seen)."""
        key = id(task)
        number = self.ids.get(key)
        if number is not None:
            return number, False
        self.next_id += 1
        self.ids[key] = self.next_id
        ids, refs = self.ids, self.refs

        def forget(_ref: Any, key: int = key) -> None:
            ids.pop(key, None)
            refs.pop(key, None)

        try:
            refs[key] = weakref.ref(task, forget)
        except TypeError:  # a task type of the program's without weakref support
            pass
        return self.next_id, True


def ran_safely(state: State, handle: Any, start: int, end: int) -> None:
    try:
        ran(state, handle, start, end)
    except Exception:  # noqa: BLE001 - a handle or task type of the program's we misread
        pass


def ran(state: State, handle: Any, start: int, end: int) -> None:
    loop = handle._loop
    lp = state.ids.get(id(loop))  # numbered like tasks: a closed loop's id() is reused
    if lp is None:
        lp = state.task_id(loop)[0]
    sample = state.loops.get(lp)
    if sample is None:
        sample = state.loops[lp] = [0, 0]
    # a TimerHandle: how late it ran (a getattr miss on each plain Handle costs 0.3 us)
    when = getattr(handle, "_when", None) if type(handle) is not HANDLE else None
    if when is not None:
        lag = start - int(when * 1e9)
        if lag > sample[1]:
            sample[1] = lag
    if start - sample[0] >= SAMPLE_NS:
        state.sink.write({"ev": "aloop", "ts": start, "tid": _tid(), "loop": lp,
                          "ready": len(getattr(loop, "_ready", ())), "lag": sample[1]})
        sample[0], sample[1] = start, 0
    callback = handle._callback
    owner: Any = getattr(callback, "__self__", None)
    if isinstance(owner, TASK_TYPES):
        stepped(state, owner, lp, start, end)
    elif end - start >= state.slow_ns:
        state.sink.write({"ev": "acb", "ts": start, "end": end, "tid": _tid(), "loop": lp,
                          "cb": callback_name(callback)})


def stepped(state: State, task: Any, lp: int, start: int, end: int) -> None:
    number = state.ids.get(id(task))
    extra: dict[str, Any] | None = None
    if number is None:  # not made by loop.create_task (asyncio.Task(...) called directly)
        number = state.task_id(task)[0]
        # 3.12.1 crashes in get_coro() of a finished eager task: only ask a pending one
        coro = None if task.done() else task.get_coro()
        extra = {"name": task_name(task), "coro": coro_name(coro)}
    elif number in state.unnamed:
        state.unnamed.discard(number)
        extra = {"name": task_name(task)}
    row: list[Any] = [start, end, _tid(), lp, number, None, None, None]
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
        extra = _ended(state, task, number, extra or {})
    slow = end - start >= state.slow_ns
    if slow:
        extra = extra or {}
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
