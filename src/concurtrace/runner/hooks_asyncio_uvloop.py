"""uvloop (issue 17: "at least the task view"): uvloop's Loop is not a BaseEventLoop and
runs callbacks in its own C Handle, so neither create_task nor Handle._run is ours there.

What stays Python: uvloop.Loop is a Python subclass of the Cython loop, and asyncio's C
Task and Future schedule a task's steps through `loop.call_soon(...)` looked up on the
loop's type (CPython's call_soon() in _asynciomodule.c). So, on uvloop.Loop itself:
- create_task, call_exception_handler and run_in_executor: as BaseEventLoop's ("atask",
  "aunret", "asubmit" and the thread pool's "awork").
- call_soon: a task's own step callback (TaskStepMethWrapper, task_wakeup, or the Python
  Task's __step/__wakeup) is handed on inside a closure that times it and writes the step
  like Handle._run does; every other callback goes through untouched. The task, its
  context and the order of callbacks are unchanged.
Not seen with uvloop: plain callbacks that block the loop, the ready queue and timer lag.
"""

from __future__ import annotations

import sys
import time
from typing import Any

from concurtrace.runner.hookset import HookSet, Sink
from concurtrace.runner.own_frames import unlink

_now = time.monotonic_ns
# a task's step callbacks: the C Task's (3.10-3.13) and the Python Task's bound methods
STEP_WRAPPER = "TaskStepMethWrapper"
STEP_NAMES = frozenset({"task_wakeup", "_Task__step", "_Task__wakeup", "__step", "__wakeup",
                        "__step_run_and_handle_result"})
WAKEUPS = frozenset({"task_wakeup", "_Task__wakeup", "__wakeup"})  # never a first step


def install_uvloop_lazily(hooks: HookSet, sink: Sink, state: Any) -> None:
    from concurtrace.runner.import_watch import after_import

    def install() -> None:
        install_uvloop(hooks, sink, state)

    if "uvloop" in sys.modules:
        install()
    else:
        after_import(hooks, "uvloop", lambda _module: install())


def install_uvloop(hooks: HookSet, sink: Sink, state: Any) -> None:
    from concurtrace.runner import hooks_asyncio
    from concurtrace.runner.hooks_asyncio_executor import wrap_run_in_executor

    found = getattr(sys.modules.get("uvloop"), "Loop", None)
    if not isinstance(found, type):
        return
    loop_cls: Any = found
    orig_call_soon = loop_cls.call_soon
    task_types = hooks_asyncio.TASK_TYPES

    def call_soon(self: Any, callback: Any, *args: Any, context: Any = None) -> Any:
        task = getattr(callback, "__self__", None)
        if state.on and isinstance(task, task_types) and is_step(callback):
            callback = _timed_step(state, self, task, callback)
        try:
            return orig_call_soon(self, callback, *args, context=context)
        except BaseException as error:
            unlink(error)
            raise

    hooks.patch(loop_cls, "create_task",
                hooks_asyncio.wrap_create_task(sink, state, loop_cls.create_task))
    hooks.patch(loop_cls, "call_soon", call_soon)
    hooks.patch(loop_cls, "call_exception_handler", hooks_asyncio.wrap_exception_handler(
        sink, state, loop_cls.call_exception_handler))
    hooks.patch(loop_cls, "run_in_executor", wrap_run_in_executor(
        hooks, sink, state, loop_cls.run_in_executor))


def is_step(callback: Any) -> bool:
    return type(callback).__name__ == STEP_WRAPPER \
        or getattr(callback, "__name__", None) in STEP_NAMES


def _timed_step(state: Any, loop: Any, task: Any, step: Any) -> Any:
    from concurtrace.runner.hooks_asyncio_steps import stepped

    call = state.sink.call  # full mode: the step's calls traced below our frame

    def run(*args: Any) -> Any:
        start = _now()
        try:
            return call(step, *args)
        except BaseException as error:  # KeyboardInterrupt, SystemExit
            unlink(error)
            raise
        finally:
            try:
                stepped(state, task, state.task_id(loop)[0], start, _now())
            except Exception:  # noqa: BLE001 - a task type of the program's we misread
                pass

    return run
