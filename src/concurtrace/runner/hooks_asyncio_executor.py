"""asyncio's executor handoff (issue 17): loop.run_in_executor (asyncio.to_thread goes
through it) writes "asubmit" (the job, the submitting task, the function, the program's
line); a thread pool's worker writes "awork" around the call, so the model can draw
submit -> the worker's call -> the awaiter resuming.

A thread pool gets the function inside a closure that times it and passes everything
through (result, exception with our frame unlinked). A process pool gets the program's
function as it is: it must pickle the same, so only the submit is recorded there. So
does a thread pool on 3.10: its re-raise keeps our frame's traceback entry (own_frames),
which the program's traceback of the error would show.
"""

from __future__ import annotations

import functools
import itertools
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

from concurtrace.runner.hooks_asyncio_names import callback_name, program_site
from concurtrace.runner.hookset import HookSet, Sink
from concurtrace.runner.own_frames import unlink

_now = time.monotonic_ns
_tid = threading.get_native_id
TIMED = sys.version_info >= (3, 11)  # the worker's call timed (see above)


def install_executor(hooks: HookSet, sink: Sink, state: Any) -> None:
    """state: hooks_asyncio._State (on, ids)."""
    import asyncio
    from asyncio import base_events

    loop_cls = base_events.BaseEventLoop
    orig = loop_cls.run_in_executor
    jobs = itertools.count(1)
    coroutine_function = asyncio.iscoroutinefunction

    def run_in_executor(self: Any, executor: Any, func: Any, *args: Any) -> Any:
        if not state.on or not callable(func) or coroutine_function(func):
            try:  # as it is: asyncio's own checks and errors
                return sink.call(orig, self, executor, func, *args)
            except BaseException as error:
                unlink(error)
                raise
        start = _now()
        pool = executor if executor is not None else getattr(self, "_default_executor", None)
        # not imported by us: the program's sys.modules stay its own (asyncio imports
        # concurrent.futures.thread when it makes its default executor)
        thread_module = sys.modules.get("concurrent.futures.thread")
        threads = pool is None or (thread_module is not None
                                   and isinstance(pool, thread_module.ThreadPoolExecutor))
        job = next(jobs)
        try:
            future = sink.call(orig, self, executor,
                               _timed(sink, job, func) if threads and TIMED else func, *args)
        except BaseException as error:
            unlink(error)
            raise
        try:
            state.executor_futures[id(future)] = future
            _submitted(state, self, job, func, start, threads, pool)
        except Exception:  # noqa: BLE001 - our bookkeeping never breaks the program
            pass
        return future

    hooks.patch(loop_cls, "run_in_executor", run_in_executor)


def _timed(sink: Sink, job: int, func: Callable[..., Any]) -> Callable[..., Any]:
    def call(*args: Any, **kwargs: Any) -> Any:
        start = _now()
        try:
            return sink.call(func, *args, **kwargs)
        except BaseException as error:
            unlink(error)
            raise
        finally:
            sink.write({"ev": "awork", "ts": start, "end": _now(), "tid": _tid(), "job": job})

    return call


def _submitted(state: Any, loop: Any, job: int, func: Any, start: int, threads: bool,
               pool: Any) -> None:
    import asyncio

    frame = sys._getframe(2)
    kind = "to_thread" if frame.f_code.co_name == "to_thread" else "run_in_executor"
    task = asyncio.current_task(loop)
    state.sink.write({
        "ev": "asubmit", "ts": start, "end": _now(), "tid": _tid(),
        "loop": state.task_id(loop)[0], "job": job, "kind": kind,
        "task": state.ids.get(id(task)) if task is not None else None,
        "fn": callback_name(_inner(func)), "site": program_site(frame),
        "pool": "threads" if threads else type(pool).__name__})


def _inner(func: Any) -> Any:
    """to_thread's partial(context.run, func, ...) -> func."""
    if isinstance(func, functools.partial) and func.args \
            and type(getattr(func.func, "__self__", None)).__name__ == "Context":
        return func.args[0]
    return func
