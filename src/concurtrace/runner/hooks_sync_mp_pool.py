"""multiprocessing.pool results: AsyncResult.get / wait, and so Pool.apply, map, starmap
and the *_async results' get().

Without these hooks such a wait is a threading.Event wait made in pool.py. Here it is
"AsyncResult@<the program's call> (map)", split like a lock's acquire (a silent wait up
to the threshold, then a recorded one). The waiter counts itself in the holder table
under "pool:<its pid>:<job>"; a pool worker (a traced child) that puts a result of that
job on the pool's result queue then writes a "complete" signal, so the wait is credited
to the worker process that computed the last result it waited for. A ThreadPool's
results (threads, a queue.SimpleQueue) and imap's next() are not credited here.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from typing import Any

from concurtrace.runner.hooks_sync_mp import MP_DIR
from concurtrace.runner.hooks_sync_mp_table import table
from concurtrace.runner.hooks_sync_naming import SKIP_FILES, object_key, settings
from concurtrace.runner.hookset import HookSet, Sink
from concurtrace.runner.own_frames import clean_raise

_now = time.monotonic_ns
LABEL = "_concurtrace_label"
KIND = "mp.AsyncResult"
_results_queue: dict[int, Any] = {}  # pid -> this pool worker's result queue (or None)


def _call_label(frame: Any) -> str:
    """AsyncResult@file:line (map): the program's call and the Pool method it called."""
    method = "?"
    while frame is not None and frame.f_code.co_filename.startswith((MP_DIR, *SKIP_FILES)):
        if frame.f_code.co_filename.startswith(MP_DIR):
            method = frame.f_code.co_name
        frame = frame.f_back
    if frame is None:
        return f"AsyncResult@? ({method})"
    return f"AsyncResult@{os.path.basename(frame.f_code.co_filename)}:{frame.f_lineno} " \
           f"({method})"


def _wait(sink: Sink, result: Any, orig: Any, timeout: Any, frame: Any) -> None:
    event, threshold = result._event, settings.threshold_s
    identity = f"pool:{os.getpid()}:{result._job}"
    key, offset = table.key(identity)
    start = _now()
    table.add_waiter(key, offset, 1)  # before the silent wait: a worker's result signals
    settings.busy.on = True  # the Event's own wait records nothing
    try:
        quick = event.wait(threshold if timeout is None else min(threshold, timeout))
    except BaseException:
        table.add_waiter(key, offset, -1)
        raise
    finally:
        settings.busy.on = False
    if quick or (timeout is not None and timeout <= threshold):
        table.add_waiter(key, offset, -1)
        return
    rest = None if timeout is None else max(0.0, timeout - (_now() - start) / 1e9)
    me = threading.get_native_id()
    label = result.__dict__.get(LABEL) or "AsyncResult@?"
    sink.write({"ev": "wait_begin", "ts": start, "tid": me, "obj": object_key(result),
                "kind": KIND, "label": label, "shared": identity, "timeout": timeout,
                "stack": settings.stack(frame)})
    outcome = "interrupted"
    settings.busy.on = True
    try:
        orig(result, rest)
        outcome = "completed" if event.is_set() else "timed_out"
    finally:
        settings.busy.on = False
        table.add_waiter(key, offset, -1)
        sink.write({"ev": "wait_end", "ts": _now(), "tid": me, "obj": object_key(result),
                    "outcome": outcome})


def results_queue() -> Any:
    """In a pool worker process: the queue its results go to (pool.worker's outqueue)."""
    pid = os.getpid()
    if pid not in _results_queue:
        found = None
        process, pool = sys.modules.get("multiprocessing.process"), \
            sys.modules.get("multiprocessing.pool")
        if process is not None and pool is not None:
            current = process.current_process()
            args = getattr(current, "_args", ())
            if getattr(current, "_target", None) is getattr(pool, "worker", False) \
                    and isinstance(args, tuple) and len(args) > 1:
                found = args[1]
        _results_queue[pid] = found
    return _results_queue[pid]


def result_put(sink: Sink, item: Any, put: Any) -> None:
    """A pool worker's put of (job, index, result): a "complete" signal when the pool's
    process waits for that job."""
    parent = getattr(sys.modules["multiprocessing.process"].current_process(),
                     "_parent_pid", None)
    job = item[0] if isinstance(item, tuple) and len(item) == 3 else None
    if not isinstance(job, int) or parent is None or table.opened() is None:
        put(item)
        return
    identity = f"pool:{parent}:{job}"
    key, offset = table.key(identity)
    waiting, ts = table.waiting(key, offset)[0], _now()
    put(item)
    if waiting:
        sink.write({"ev": "sync_signal", "ts": ts, "tid": threading.get_native_id(), "obj": 0,
                    "shared": identity, "op": "complete"})


def install_pool(hooks: HookSet, sink: Sink, module: Any) -> None:
    result_cls = getattr(module, "ApplyResult", None)
    if result_cls is None:
        return
    orig_init, orig_wait = result_cls.__init__, result_cls.wait

    def init(self: Any, *args: Any, **kwargs: Any) -> None:
        orig_init(self, *args, **kwargs)
        if settings.sink is not None:
            self.__dict__[LABEL] = _call_label(sys._getframe(1))

    def wait(self: Any, timeout: Any = None) -> Any:
        event = getattr(self, "_event", None)
        if settings.sink is None or settings.is_busy() or event is None or event.is_set() \
                or LABEL not in self.__dict__ or (timeout is not None and (
                    type(timeout) not in (int, float) or timeout <= settings.threshold_s)):
            return orig_wait(self, timeout)
        return _wait(sink, self, orig_wait, timeout, sys._getframe(1))

    for name, function in (("__init__", init), ("wait", wait)):
        function.__name__ = name
        function.__qualname__ = f"ApplyResult.{name}"
        hooks.patch(result_cls, name, clean_raise(function))
