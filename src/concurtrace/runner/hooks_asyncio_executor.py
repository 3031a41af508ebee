"""asyncio's executor handoff (issue 17): loop.run_in_executor (asyncio.to_thread goes
through it) writes "asubmit" (the job, the submitting task, the function, the program's
line); a thread pool's worker writes "awork" around the call, so the model can draw
submit -> the worker's call -> the awaiter resuming.

The program's function is submitted as it is (no closure of ours around it: on 3.10 a
re-raise keeps our frame's traceback entry, see own_frames, and the awaiter's traceback
of the error would show it). Instead the worker's side is observed: the thread pool's
_WorkItem.__init__, called by submit inside our run_in_executor, takes the job number
from a thread-local, and _WorkItem.run, called by the worker loop, is timed around. The
program's error is caught inside the original run (set on the future), so it never
passes through our frames. A process pool's call is recorded at its submit only.
"""

from __future__ import annotations

import functools
import itertools
import sys
import threading
import time
import weakref
from typing import Any

from concurtrace.runner.hooks_asyncio_names import callback_name, program_site
from concurtrace.runner.hookset import HookSet, Sink
from concurtrace.runner.own_frames import unlink

_now = time.monotonic_ns
_tid = threading.get_native_id
_submitting = threading.local()  # .job: the job whose work item submit is making


def install_executor(hooks: HookSet, sink: Sink, state: Any) -> None:
    """state: hooks_asyncio._State (on, ids)."""
    from asyncio import base_events

    loop_cls = base_events.BaseEventLoop
    hooks.patch(loop_cls, "run_in_executor",
                wrap_run_in_executor(hooks, sink, state, loop_cls.run_in_executor))


_JOBS = itertools.count(1)  # one numbering for every loop class's run_in_executor
_WORK_ITEMS: list[bool] = []  # the _WorkItem hooks installed


def wrap_run_in_executor(hooks: HookSet, sink: Sink, state: Any, orig: Any) -> Any:
    """loop.run_in_executor, writing "asubmit" (BaseEventLoop's, or uvloop.Loop's: its
    Cython run_in_executor submits to a ThreadPoolExecutor too)."""
    import asyncio

    jobs = _JOBS
    coroutine_function = asyncio.iscoroutinefunction
    work_items = _WORK_ITEMS

    def run_in_executor(self: Any, executor: Any, func: Any, *args: Any) -> Any:
        if not state.on or not callable(func) or coroutine_function(func):
            try:  # as it is: asyncio's own checks and errors
                return sink.call(orig, self, executor, func, *args)
            except BaseException as error:
                unlink(error)
                raise
        start = _now()
        pool = executor if executor is not None else getattr(self, "_default_executor", None)
        # imported by us only when the original is about to (asyncio imports
        # concurrent.futures.thread when it makes its default executor): sys.modules stay
        # the program's
        thread_module = sys.modules.get("concurrent.futures.thread")
        threads = pool is None or (thread_module is not None
                                   and isinstance(pool, thread_module.ThreadPoolExecutor))
        job = next(jobs)
        if threads:
            thread_module = thread_module or _default_pool_module(self)
            if thread_module is not None and not work_items:
                work_items.append(_install_work_items(hooks, sink, thread_module))
            _submitting.job = job
        try:
            future = sink.call(orig, self, executor, func, *args)
        except BaseException as error:
            unlink(error)
            raise
        finally:
            _submitting.job = None
        try:
            state.executor_futures[id(future)] = future
            _submitted(state, self, job, func, start, threads, pool)
        except Exception:  # noqa: BLE001 - our bookkeeping never breaks the program
            pass
        return future

    return run_in_executor


def _default_pool_module(loop: Any) -> Any:
    """concurrent.futures.thread when this call is about to make the loop's default pool
    (the original imports it then); None when the original would raise first."""
    if loop.is_closed() or getattr(loop, "_executor_shutdown_called", False):
        return None
    import concurrent.futures.thread

    return concurrent.futures.thread


def _install_work_items(hooks: HookSet, sink: Sink, thread_module: Any) -> bool:
    """The thread pool's work items: each one made for a job is timed when it runs."""
    item_cls = thread_module._WorkItem
    orig_init, orig_run = item_cls.__init__, item_cls.run
    jobs: weakref.WeakKeyDictionary[Any, int] = weakref.WeakKeyDictionary()

    def __init__(self: Any, /, *args: Any, **kwargs: Any) -> None:
        try:
            sink.call(orig_init, self, *args, **kwargs)
        except BaseException as error:
            unlink(error)
            raise
        job = getattr(_submitting, "job", None)
        if job is not None:
            _submitting.job = None
            jobs[self] = job

    def run(self: Any, /, *args: Any, **kwargs: Any) -> Any:
        job = jobs.pop(self, None) if jobs else None
        if job is None:
            return sink.call(orig_run, self, *args, **kwargs)
        start = _now()
        try:  # the program's error stays inside: the original run sets it on the future
            return sink.call(orig_run, self, *args, **kwargs)
        except BaseException as error:
            unlink(error)
            raise
        finally:  # a future cancelled before a worker took it: not run, no call
            future = getattr(self, "future", None)
            if future is None or not future.cancelled():
                sink.write({"ev": "awork", "ts": start, "end": _now(), "tid": _tid(),
                            "job": job})

    hooks.patch(item_cls, "__init__", __init__)
    hooks.patch(item_cls, "run", run)
    return True


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
