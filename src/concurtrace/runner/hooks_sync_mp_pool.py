"""multiprocessing.pool results: AsyncResult.get / wait, and so Pool.apply, map, starmap
and the *_async results' get(); an imap / imap_unordered iterator's next().

Without these hooks such a wait is a threading.Event wait made in pool.py. Here it is
"AsyncResult@<the program's call> (map)", split like a lock's acquire (a silent wait up
to the threshold, then a recorded one). A recorded waiter counts itself in the holder
table under "pool:<its pid>:<job>"; a pool worker (a traced child) that puts a result of that
job on the pool's result queue then writes a "complete" signal, so the wait is credited
to the worker process that put the last result before it resumed. A ThreadPool's threads
put into a queue.SimpleQueue: its result handler thread, which hands each result over
("handled"), is credited. A process pool's untraced worker leaves the wait uncredited.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Callable

from concurtrace.runner.hooks_sync_mp import MP_DIR
from concurtrace.runner.hooks_sync_mp_table import table
from concurtrace.runner.hooks_sync_naming import SKIP_FILES, object_key, settings
from concurtrace.runner.hookset import HookSet, Sink
from concurtrace.runner.own_frames import clean_raise

TYPE_CHECKING = False  # not typing's: importing typing costs every process that uses mp
if TYPE_CHECKING:
    from typing import Any

_now = time.monotonic_ns
LABEL = "_concurtrace_label"
SLOT = "_concurtrace_slot"  # (identity, holder table key, offset, its workers are threads)
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


def _wait(sink: Sink, result: Any, ready: Callable[[float], bool],
          block: Callable[[float | None], Any], timeout: Any, frame: Any,
          imap: bool = False) -> Any:
    """ready(t): a silent wait of up to t for the result; block(rest): the original call
    (AsyncResult.wait, or an imap iterator's next(): imap)."""
    threshold = settings.threshold_s
    identity, key, offset, _threads = result.__dict__[SLOT]
    start = _now()
    settings.busy.on = True  # the Event's or Condition's own wait records nothing
    try:
        quick = ready(threshold if timeout is None else min(threshold, timeout))
    finally:
        settings.busy.on = False
    if quick or (timeout is not None and timeout <= threshold):
        return block(0.0 if timeout is not None else None)
    # Counted only now, as a Pipe's recv (hooks_sync_mp_pipe): a result put during the
    # silent wait ended a wait the model drops anyway.
    table.add_waiter(key, offset, 1)
    rest = None if timeout is None else max(0.0, timeout - (_now() - start) / 1e9)
    me = threading.get_native_id()
    label = result.__dict__[LABEL]
    sink.write({"ev": "wait_begin", "ts": start, "tid": me, "obj": object_key(result),
                "kind": KIND, "label": label, "shared": identity, "timeout": timeout,
                "stack": settings.stack(frame)})
    outcome = "interrupted"
    settings.busy.on = True
    try:
        value = block(rest)
        outcome = "got_item" if imap else "completed" if ready(0) else "timed_out"
        return value
    except StopIteration:  # imap's next(): no more results
        outcome = "completed"
        raise
    except Exception as error:  # imap's next(): the worker's error, or its TimeoutError
        outcome = "timed_out" if type(error).__name__ == "TimeoutError" else "got_item"
        raise
    finally:
        settings.busy.on = False
        table.add_waiter(key, offset, -1)
        sink.write({"ev": "wait_end", "ts": _now(), "tid": me, "obj": object_key(result),
                    "outcome": outcome})


def _has_item(iterator: Any, timeout: float) -> bool:
    """An IMapIterator's next() would not block (an item, or the end), waiting up to timeout."""
    with iterator._cond:
        if not iterator._items and iterator._index != iterator._length and timeout > 0:
            iterator._cond.wait(timeout)
        return bool(iterator._items) or iterator._index == iterator._length


def results_queue() -> Any:
    """In a pool worker process: the queue its results go to (pool.worker's outqueue, a
    ProcessPoolExecutor's _process_worker's result_queue: each its second argument)."""
    pid = os.getpid()
    if pid not in _results_queue:
        found = None
        process = sys.modules.get("multiprocessing.process")
        workers = [getattr(sys.modules.get(name), function, False) for name, function in (
            ("multiprocessing.pool", "worker"),
            ("concurrent.futures.process", "_process_worker"))]
        if process is not None:
            current = process.current_process()
            args = getattr(current, "_args", ())
            target = getattr(current, "_target", None)
            if any(target is worker for worker in workers) \
                    and isinstance(args, tuple) and len(args) > 1:
                found = args[1]
        _results_queue[pid] = found
    return _results_queue[pid]


def result_put(sink: Sink, queue: Any, item: Any, put: Any) -> None:
    """A pool worker's put of (job, index, result): a "complete" signal when the pool's
    process waits for that job. A process pool executor's worker puts other items."""
    if not isinstance(item, tuple):
        from concurtrace.runner.hooks_sync_mp_cfpool import worker_put  # its workers only

        worker_put(sink, queue, item, put)
        return
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
    result_cls, imap_cls = getattr(module, "ApplyResult", None), getattr(module, "IMapIterator",
                                                                         None)
    if result_cls is None or imap_cls is None:
        return
    orig_init, orig_wait = result_cls.__init__, result_cls.wait
    thread_pool = getattr(module, "ThreadPool", None)
    imap_init, orig_next = imap_cls.__init__, imap_cls.next
    setters = [(cls, vars(cls)["_set"]) for cls in (
        result_cls, getattr(module, "MapResult", None), imap_cls,
        getattr(module, "IMapUnorderedIterator", None))
        if isinstance(cls, type) and "_set" in vars(cls)]  # each overrides it

    def labelled(orig: Any) -> Any:
        def init(self: Any, /, *args: Any, **kwargs: Any) -> None:
            orig(self, *args, **kwargs)
            if settings.sink is not None:
                identity = f"pool:{os.getpid()}:{self._job}"
                threads = thread_pool is not None and isinstance(self.__dict__.get("_pool"),
                                                                 thread_pool)
                self.__dict__[SLOT] = (identity, *table.key(identity), threads)
                self.__dict__[LABEL] = _call_label(sys._getframe(1))

        return init

    def skip(self: Any, timeout: Any) -> bool:
        return settings.sink is None or settings.is_busy() or LABEL not in self.__dict__ \
            or (timeout is not None and (type(timeout) not in (int, float)
                                         or timeout <= settings.threshold_s))

    def wait(self: Any, timeout: Any = None) -> Any:
        event = getattr(self, "_event", None)
        if skip(self, timeout) or event is None or event.is_set():
            return orig_wait(self, timeout)  # its own checks and errors, as without us
        return _wait(sink, self, event.wait, lambda t: orig_wait(self, t), timeout,
                     sys._getframe(1))

    def next_(self: Any, timeout: Any = None) -> Any:
        if skip(self, timeout) or self.__dict__.get("_items"):
            return orig_next(self, timeout)
        return _wait(sink, self, lambda t: _has_item(self, t), lambda t: orig_next(self, t),
                     timeout, sys._getframe(1), imap=True)

    def handed(orig: Any) -> Any:
        def set_(self: Any, index: Any, obj: Any) -> None:
            """A ThreadPool's result handler thread hands a result over: the waiter's
            ender (its worker threads put into a queue.SimpleQueue: no signal)."""
            slot = self.__dict__.get(SLOT)
            if settings.sink is None or slot is None or not slot[3] or table.words is None:
                orig(self, index, obj)
                return
            identity, key, offset = slot[:3]
            waiting, ts = table.waiting(key, offset)[0], _now()
            orig(self, index, obj)
            if waiting:
                sink.write({"ev": "sync_signal", "ts": ts, "tid": threading.get_native_id(),
                            "obj": object_key(self), "shared": identity, "op": "handled"})

        return set_

    for cls, name, function in ((result_cls, "__init__", labelled(orig_init)),
                                *((owner, "_set", handed(orig)) for owner, orig in setters),
                                (result_cls, "wait", wait),
                                (imap_cls, "__init__", labelled(imap_init)),
                                (imap_cls, "next", next_), (imap_cls, "__next__", next_)):
        function.__name__ = name
        function.__qualname__ = f"{cls.__name__}.{name}"
        hooks.patch(cls, name, clean_raise(function))
