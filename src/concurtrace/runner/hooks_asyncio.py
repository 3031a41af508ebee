"""asyncio made visible (issue 17): every task's creation, steps, awaits and end, and the
callbacks that blocked the event loop.

Three observation points, all pure Python in every asyncio of 3.10-3.13, so the C Task
and Future stay as they are:
- BaseEventLoop.create_task (asyncio.create_task, ensure_future, gather, TaskGroup and
  run_until_complete all go through it): "atask" with the creator and the site. An
  eager task (3.12+) has already run its first step when Task() returns.
- events.Handle._run (every callback the loop runs; a task step is a callback whose
  __self__ is the task: the C TaskStepMethWrapper and task_wakeup, or the Python
  Task's bound methods): a row of an "asteps" batch (hooks_asyncio_run's hook, with
  hooks_asyncio_steps and the loop counters of hooks_asyncio_loop) with start,
  end, what the task awaits afterwards (Task._fut_waiter and the coroutine's cr_await
  chain) or how it ended; any other callback is written only when it ran longer than
  the slow threshold ("acb").
- BaseEventLoop.call_exception_handler: "Task exception was never retrieved" ("aunret").
Besides: BaseEventLoop.run_in_executor (hooks_asyncio_executor), the coroutine-never-
awaited warning (hooks_unawaited), and uvloop's Loop
(hooks_asyncio_uvloop). Nothing is added to a task (no done callback, no attribute), so
names, current_task(), repr(), cancellation and the order of callbacks are the program's.
"""

from __future__ import annotations

import atexit
import os
import sys
import threading
import time
from typing import Any

from concurtrace.model.units import ASYNCIO_SLOW_NS
from concurtrace.runner import hooks_asyncio_names as names
from concurtrace.runner import hooks_asyncio_steps as steps
from concurtrace.runner.hooks_asyncio_executor import install_executor
from concurtrace.runner.hooks_asyncio_names import (
    coro_name,
    is_run_until_complete,
    program_site,
    task_name,
)
from concurtrace.runner.hooks_asyncio_run import install_run_hooks
from concurtrace.runner.hooks_asyncio_steps import State
from concurtrace.runner.hooks_asyncio_uvloop import install_uvloop_lazily
from concurtrace.runner.hooks_unawaited import install_unawaited
from concurtrace.runner.hookset import HookSet, Sink
from concurtrace.runner.own_frames import is_own, unlink

_now = time.monotonic_ns
_tid = threading.get_native_id
TASK_TYPES: tuple[type, ...] = ()  # asyncio's Task types, set at install
FUTURE_TYPES: tuple[type, ...] = ()
_CURRENT_TASK: list[Any] = [None]  # asyncio.current_task
UVLOOP_OWN = frozenset({"Loop.shutdown_asyncgens", "Loop.shutdown_default_executor"})


def install_asyncio(hooks: HookSet, sink: Sink) -> None:
    """Called by hooks_asyncio_lazy once the program has imported asyncio."""
    import asyncio
    from asyncio import base_events, events

    global TASK_TYPES, FUTURE_TYPES
    names.ASYNCIO_DIR = os.path.dirname(asyncio.__file__) + os.sep
    names.EVENTS_FILE = events.__file__
    TASK_TYPES = names.TASK_TYPES = tuple({asyncio.Task,
                                           getattr(asyncio.tasks, "_PyTask", asyncio.Task)})
    steps.TASK_TYPES = TASK_TYPES
    FUTURE_TYPES = tuple({asyncio.Future, getattr(asyncio.futures, "_PyFuture", asyncio.Future)})
    _CURRENT_TASK[0] = asyncio.current_task
    config = getattr(sink, "config", {}) or {}
    state = State(sink, int(config.get("asyncio_slow_ns", ASYNCIO_SLOW_NS)))
    loop_cls = base_events.BaseEventLoop
    orig_create = loop_cls.create_task
    orig_handler = loop_cls.call_exception_handler
    light = bool(config.get("light", False))

    create_task = wrap_create_task(sink, state, orig_create)

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
    install_run_hooks(hooks, sink, state, light)
    hooks.patch(loop_cls, "call_exception_handler", call_exception_handler)
    hooks.on_uninstall(stop)
    hooks.patch(sink, "finalize", finalize)  # this recorder's own, not a class's
    # A fork child starts with the parent's unwritten steps: write them first, in the parent.
    os.register_at_fork(before=state.flush, after_in_child=state.forked)
    atexit.register(_at_exit, state)  # before the recorder's, so it runs after its finalize


def wrap_create_task(sink: Sink, state: State, orig_create: Any) -> Any:
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


def wrap_exception_handler(sink: Sink, state: State, orig_handler: Any) -> Any:
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


def _created(state: State, loop: Any, task: Any, coro: Any, start: int) -> None:
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
    if creator is None and loop.is_running():
        callback = names.running_callback(sys._getframe(2))
        if callback is not None:
            record["cb"] = callback
    code = getattr(coro, "cr_code", None)
    if getattr(code, "co_filename", "").startswith(names.ASYNCIO_DIR):
        record["internal"] = True  # asyncio.run's shutdown_asyncgens, shutdown_default_executor
    elif getattr(coro, "__qualname__", None) in UVLOOP_OWN \
            and getattr(code, "co_filename", "").startswith("uvloop"):
        record["internal"] = record["root"] = True  # the same, uvloop's (Cython)
    state.unnamed.add(number)
    # 3.12+ eager start: its first step ran inside create_task (and may have ended in a
    # bare yield, asyncio.sleep(0): no waiter, but its coroutine is suspended)
    if task.done() or getattr(task, "_fut_waiter", None) is not None \
            or getattr(coro, "cr_suspended", False) is True:
        record["eager"] = True
        steps.after_step(state, task, record)
    state.sink.write(record)


def _is_future(obj: object) -> bool:
    return isinstance(obj, FUTURE_TYPES)


def _exception_context(state: State, context: dict[str, Any]) -> None:
    future = context.get("future") or context.get("task")
    message = str(context.get("message", ""))
    if isinstance(future, TASK_TYPES) and "never retrieved" in message:
        number = state.failed_ids.pop(id(future), None) or state.ids.get(id(future))
        error = context.get("exception")
        state.sink.write({"ev": "aunret", "ts": _now(), "tid": _tid(), "task": number,
                          "name": task_name(future),
                          "exc": type(error).__name__ if error else None})


def _at_exit(state: State) -> None:
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
