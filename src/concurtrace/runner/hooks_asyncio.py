"""asyncio made visible (issue 17): every task's creation, steps, awaits and end, and the
callbacks that blocked the event loop.

Three observation points, all pure Python in every asyncio of 3.10-3.13, so the C Task
and Future stay as they are:
- BaseEventLoop.create_task (asyncio.create_task, ensure_future, gather, TaskGroup and
  run_until_complete all go through it): "atask" with the creator and the site. An
  eager task (3.12+) has already run its first step when Task() returns.
- events.Handle._run (every callback the loop runs; a task step is a callback whose
  __self__ is the task: the C TaskStepMethWrapper and task_wakeup, or the Python
  Task's bound methods): "astep" with start, end, what the task awaits afterwards
  (Task._fut_waiter and the coroutine's cr_await chain) or how it ended; any other
  callback is written only when it ran longer than the slow threshold ("acb").
- BaseEventLoop.call_exception_handler: "Task exception was never retrieved" ("aunret").
Nothing is added to a task (no done callback, no attribute), so names, current_task(),
repr(), cancellation and the order of callbacks are the program's.
"""

from __future__ import annotations

import atexit
import os
import sys
import threading
import time
import weakref
from typing import Any

from concurtrace.runner import hooks_asyncio_names as names
from concurtrace.runner.hooks_asyncio_executor import install_executor
from concurtrace.runner.hooks_asyncio_names import (
    awaiting,
    callback_name,
    coro_name,
    error_site,
    is_run_until_complete,
    program_site,
    task_name,
)
from concurtrace.runner.hooks_asyncio_uvloop import install_uvloop_lazily
from concurtrace.runner.hooks_unawaited_importlib_bootstrap import install_unawaited
from concurtrace.runner.hookset import HookSet, Sink
from concurtrace.runner.own_frames import is_own, unlink

_now = time.monotonic_ns
_tid = threading.get_native_id
SAMPLE_NS = 10_000_000  # loop counters: one sample per loop per 10 ms at most
# aw and at: numbers of texts given in a batch's "names" (State.name_id)
STEP_COLUMNS = ("ts", "end", "tid", "loop", "task", "aw", "at", "awt")
BATCH_ROWS, BATCH_NS = 64, 50_000_000  # steps go out in one record per 64 or per 50 ms
TASK_TYPES: tuple[type, ...] = ()  # asyncio's Task types, set at install
FUTURE_TYPES: tuple[type, ...] = ()
_CURRENT_TASK: list[Any] = [None]  # asyncio.current_task
_HANDLE: type = object  # asyncio.events.Handle
UVLOOP_OWN = frozenset({"Loop.shutdown_asyncgens", "Loop.shutdown_default_executor"})
# (asyncio module, function) -> the kind of wait, for the innermost asyncio frame awaited
class _State:
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


def install_asyncio(hooks: HookSet, sink: Sink) -> None:
    """Called by hooks_asyncio_lazy once the program has imported asyncio."""
    import asyncio
    from asyncio import base_events, events

    global TASK_TYPES, FUTURE_TYPES, _HANDLE
    _HANDLE = events.Handle
    names.ASYNCIO_DIR = os.path.dirname(asyncio.__file__) + os.sep
    TASK_TYPES = names.TASK_TYPES = tuple({asyncio.Task,
                                           getattr(asyncio.tasks, "_PyTask", asyncio.Task)})
    FUTURE_TYPES = tuple({asyncio.Future, getattr(asyncio.futures, "_PyFuture", asyncio.Future)})
    _CURRENT_TASK[0] = asyncio.current_task
    config = getattr(sink, "config", {}) or {}
    state = _State(sink, int(config.get("asyncio_slow_ns", 100_000_000)))
    loop_cls = base_events.BaseEventLoop
    orig_create, orig_run = loop_cls.create_task, events.Handle._run
    orig_handler = loop_cls.call_exception_handler
    light = bool(config.get("light", False))

    create_task = wrap_create_task(sink, state, orig_create)

    def handle_run(self: Any) -> None:
        if not state.on:
            return orig_run(self)
        start = _now()
        try:
            if light:  # no tracer whose ignore counter sink.call would lift: one frame less
                orig_run(self)
            else:
                sink.call(orig_run, self)
        except BaseException as error:  # KeyboardInterrupt, SystemExit
            unlink(error)
            _ran_safely(state, self, start, _now())
            raise
        end = _now()
        try:
            _ran(state, self, start, end)
        except Exception:  # noqa: BLE001 - a handle or task type of the program's we misread
            pass
        return None

    call_exception_handler = wrap_exception_handler(sink, state, orig_handler)

    def stop() -> None:
        state.flush()
        state.on = False

    orig_finalize = sink.finalize

    def finalize(reason: str) -> None:  # exit, os._exit, a fatal signal: the last steps
        state.flush()
        orig_finalize(reason)

    install_executor(hooks, sink, state)
    install_unawaited(hooks, sink)
    install_uvloop_lazily(hooks, sink, state)
    hooks.patch(loop_cls, "create_task", create_task)
    hooks.patch(events.Handle, "_run", handle_run)
    hooks.patch(loop_cls, "call_exception_handler", call_exception_handler)
    hooks.on_uninstall(stop)
    hooks.patch(sink, "finalize", finalize)  # this recorder's own, not a class's
    # A fork child starts with the parent's unwritten steps: write them first, in the parent.
    os.register_at_fork(before=state.flush, after_in_child=state.forked)
    atexit.register(_at_exit, state)  # before the recorder's, so it runs after its finalize


def wrap_create_task(sink: Sink, state: _State, orig_create: Any) -> Any:
    """loop.create_task, writing "atask" (BaseEventLoop's, or uvloop.Loop's)."""

    def create_task(self: Any, coro: Any, *args: Any, **kwargs: Any) -> Any:
        start = _now()
        try:
            task = sink.call(orig_create, self, coro, *args, **kwargs)
        except BaseException as error:
            unlink(error)
            raise
        if state.on:
            try:
                _created(state, self, task, coro, start)
            except Exception:  # noqa: BLE001 - our bookkeeping never breaks the program
                pass
        return task

    return create_task


def wrap_exception_handler(sink: Sink, state: _State, orig_handler: Any) -> Any:
    """loop.call_exception_handler, writing "aunret" for "Task exception was never
    retrieved" (BaseEventLoop's, or uvloop.Loop's)."""

    def call_exception_handler(self: Any, context: dict[str, Any]) -> None:
        if state.on and isinstance(context, dict):
            try:
                _exception_context(state, context)
            except Exception:  # noqa: BLE001
                pass
        try:
            sink.call(orig_handler, self, context)
        except BaseException as error:
            unlink(error)
            raise

    return call_exception_handler


def _created(state: _State, loop: Any, task: Any, coro: Any, start: int) -> None:
    if not _is_future(task):
        return
    source = getattr(task, "_source_traceback", None)
    if source:  # debug mode: the creation stack as without our frame
        source[:] = [entry for entry in source if not is_own(entry.filename)]
    number, _first = state.task_id(task)
    creator = _CURRENT_TASK[0](loop) if loop.is_running() else None
    site = program_site(sys._getframe(2))
    record: dict[str, Any] = {
        "ev": "atask", "ts": start, "end": _now(), "tid": _tid(),
        "loop": state.task_id(loop)[0], "task": number, "name": task_name(task),
        "coro": coro_name(coro),
        "site": site, "by": state.task_id(creator)[0] if creator is not None else None,
        "root": is_run_until_complete(sys._getframe(2))}
    code = getattr(coro, "cr_code", None)
    if getattr(code, "co_filename", "").startswith(names.ASYNCIO_DIR):
        record["internal"] = True  # asyncio.run's shutdown_asyncgens, shutdown_default_executor
    elif getattr(coro, "__qualname__", None) in UVLOOP_OWN \
            and getattr(code, "co_filename", "").startswith("uvloop"):
        record["internal"] = record["root"] = True  # the same, uvloop's (Cython)
    state.unnamed.add(number)
    if task.done() or getattr(task, "_fut_waiter", None) is not None:
        record["eager"] = True  # 3.12+ eager start: its first step ran inside create_task
        _after_step(state, task, record)
    state.sink.write(record)


def _is_future(obj: object) -> bool:
    return isinstance(obj, FUTURE_TYPES)


def _ran_safely(state: _State, handle: Any, start: int, end: int) -> None:
    try:
        _ran(state, handle, start, end)
    except Exception:  # noqa: BLE001 - a handle or task type of the program's we misread
        pass


def _ran(state: _State, handle: Any, start: int, end: int) -> None:
    loop = handle._loop
    lp = state.ids.get(id(loop))  # numbered like tasks: a closed loop's id() is reused
    if lp is None:
        lp = state.task_id(loop)[0]
    sample = state.loops.get(lp)
    if sample is None:
        sample = state.loops[lp] = [0, 0]
    # a TimerHandle: how late it ran (a getattr miss on each plain Handle costs 0.3 us)
    when = getattr(handle, "_when", None) if type(handle) is not _HANDLE else None
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


def stepped(state: _State, task: Any, lp: int, start: int, end: int) -> None:
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


def _ended(state: _State, task: Any, number: int, record: dict[str, Any]) -> dict[str, Any]:
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


def _after_step(state: _State, task: Any, record: dict[str, Any]) -> None:
    """An eager task's first step, in its atask record."""
    if not task.done():
        waiter = getattr(task, "_fut_waiter", None)
        kind, where = awaiting(task, waiter)
        record["aw"], record["at"] = kind, where
        if isinstance(waiter, TASK_TYPES):
            record["awt"] = state.task_id(waiter)[0]
        return
    _ended(state, task, int(record["task"]), record)


def _exception_context(state: _State, context: dict[str, Any]) -> None:
    future = context.get("future") or context.get("task")
    message = str(context.get("message", ""))
    if isinstance(future, TASK_TYPES) and "never retrieved" in message:
        number = state.failed_ids.pop(id(future), None) or state.ids.get(id(future))
        error = context.get("exception")
        state.sink.write({"ev": "aunret", "ts": _now(), "tid": _tid(), "task": number,
                          "name": task_name(future),
                          "exc": type(error).__name__ if error else None})


def _at_exit(state: _State) -> None:
    """Tasks whose exception is still unretrieved at exit (alive, never collected)."""
    if not state.on:
        return
    state.flush()
    try:
        failed = list(state.failed.items())
    except RuntimeError:  # changed size (a thread still running): skip the check
        return
    for number, task in failed:
        if getattr(task, "_log_traceback", False):
            error = getattr(task, "_exception", None)
            state.sink.write({"ev": "aunret", "ts": _now(), "tid": _tid(), "task": number,
                              "name": task_name(task), "alive": True,
                              "exc": type(error).__name__ if error else None})
