"""concurrent.futures.ProcessPoolExecutor: a wait on its futures credited to the worker
process that ran the call, not only to the parent's executor manager thread.

The manager thread reads each result off the result queue and completes the future
(hooks_sync_futures sees its set_result end the wait), so without this every wait names
that thread. Here submit() tags the future with its call's identity,
"cf:<result queue identity>:<work id>" (the work id is the executor's key for the call
in every CPython 3.10-3.13, and the result queue's identity, that of its read lock, is
the same in the workers: hooks_sync_mp_queues; a fork context's, whose handle a later
pool may reuse, is replaced by the pool's own, which its fork workers inherit); a
recorded waiter counts itself in the
holder table under "cf:<result queue identity>". A worker that puts a _ResultItem while
someone waits writes a "complete" signal under the call's identity, and the signals of
the manager thread's set_result carry it as "via": model/sync_relay.py credits the wait
to the worker's put, with its pid and thread, and draws the arrow from there. Pickling,
results, exceptions and BrokenProcessPool are the executor's own: nothing here touches
what goes through the queues.
"""

from __future__ import annotations

import itertools
import os
import threading
import time

from concurtrace.runner.hooks_sync_futures import VIA
from concurtrace.runner.hooks_sync_mp import patch_method
from concurtrace.runner.hooks_sync_mp_queues import queue_identity
from concurtrace.runner.hooks_sync_mp_table import table
from concurtrace.runner.hooks_sync_naming import settings
from concurtrace.runner.hookset import HookSet, Sink

TYPE_CHECKING = False  # not typing's: importing typing costs every process that uses mp
if TYPE_CHECKING:
    from typing import Any

_now = time.monotonic_ns
_serial = itertools.count(1)
POOL = "_concurtrace_cfpool"  # on an executor: ("cf:<its result queue>", key, offset) or ()
QUEUE_ATTR = "_concurtrace_cfpool"  # on a fork context pool's result queue: its identity
LOOK_BACK = 64  # submits by other threads between ours and our look at the work items


def _queue_pool(queue: Any) -> str | None:
    """The pool's identity by its result queue, alike in the parent and its workers."""
    own = getattr(queue, "__dict__", {}).get(QUEUE_ATTR)
    if own is not None:
        return str(own)
    identity = queue_identity(queue)
    return None if identity is None else "cf:" + identity


def _pool_of(executor: Any) -> tuple[Any, ...]:
    pool: tuple[Any, ...] | None = executor.__dict__.get(POOL)
    if pool is None:
        queue = getattr(executor, "_result_queue", None)
        identity = queue_identity(queue)
        if identity is not None and identity[0].isdigit():
            # A fork context's lock is named by its creator's pid and handle, which a
            # later pool's may reuse: this one's own, which its fork workers inherit.
            identity = f"{os.getpid()}:{next(_serial)}"
            queue.__dict__[QUEUE_ATTR] = "cf:" + identity
        pool = () if identity is None else ("cf:" + identity, *table.key("cf:" + identity))
        executor.__dict__[POOL] = pool
    return pool


def _tag(executor: Any, future: Any) -> None:
    """The future's work id: the newest work item that holds it (submit holds the
    executor's lock while it numbers the call; another thread may submit after it)."""
    pool = _pool_of(executor)
    items, count = getattr(executor, "_pending_work_items", None), \
        getattr(executor, "_queue_count", None)
    if not pool or not isinstance(items, dict) or not isinstance(count, int):
        return
    for work_id in range(count - 1, max(-1, count - 1 - LOOK_BACK), -1):
        item = items.get(work_id)
        if item is not None and getattr(item, "future", None) is future:
            future.__dict__[VIA] = (f"{pool[0]}:{work_id}", pool[1], pool[2])
            table.opened()
            return


def worker_put(sink: Sink, queue: Any, item: Any, put: Any) -> None:
    """A worker's put of a _ResultItem: a "complete" signal when the parent waits."""
    work_id = getattr(item, "work_id", None)
    identity = _queue_pool(queue)
    if type(item).__name__ != "_ResultItem" or not isinstance(work_id, int) \
            or identity is None or table.opened() is None:
        put(item)
        return
    key, offset = table.key(identity)
    waiting, ts = table.waiting(key, offset)[0], _now()
    put(item)
    if waiting and settings.sink is not None:
        sink.write({"ev": "sync_signal", "ts": ts, "tid": threading.get_native_id(), "obj": 0,
                    "shared": f"{identity}:{work_id}", "op": "complete"})


def install_process_pool(hooks: HookSet, sink: Sink, module: Any) -> None:
    cls: Any = getattr(module, "ProcessPoolExecutor", None)
    if not isinstance(cls, type) or "submit" not in vars(cls):
        return
    orig_submit = vars(cls)["submit"]

    def submit(self: Any, /, *args: Any, **kwargs: Any) -> Any:
        if settings.sink is not None:
            _pool_of(self)  # before the first submit forks the workers: they inherit it
        future = orig_submit(self, *args, **kwargs)
        if settings.sink is not None:
            _tag(self, future)
        return future

    patch_method(hooks, cls, "submit", submit)
