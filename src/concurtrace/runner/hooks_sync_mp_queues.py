"""multiprocessing Queue / JoinableQueue / SimpleQueue waits.

A blocked put waits on the queue's bounded semaphore (a SemLock: hooks_sync_mp sees it);
a get waits for bytes in the queue's pipe, which no semaphore shows: get is split like
queue.Queue's (a silent try up to the threshold, then a recorded wait), and the waiter
counts itself in the holder table under the queue's identity, so that a put in any
process knows to write the "put" signal that ended the wait. JoinableQueue.join waits on
its Condition (hooks_sync_mp).
"""

from __future__ import annotations

import queue
import sys
import threading
import time
from collections.abc import Callable

from concurtrace.runner.hooks_sync_mp import (
    _plain,
    creation_site,
    patch_method,
    program_frame,
    tag,
)
from concurtrace.runner.hooks_sync_mp_conditions import mark_condition
from concurtrace.runner.hooks_sync_mp_pipe import _ready
from concurtrace.runner.hooks_sync_mp_pool import result_put, results_queue
from concurtrace.runner.hooks_sync_mp_table import table
from concurtrace.runner.hooks_sync_naming import cached_name, settings
from concurtrace.runner.hookset import HookSet, Sink

TYPE_CHECKING = False  # not typing's: importing typing costs every process that uses mp
if TYPE_CHECKING:
    from typing import Any

_now = time.monotonic_ns
GET = "#get"  # a queue's get identity: its read lock's, plus this


def queue_identity(q: Any) -> str | None:
    info = getattr(getattr(q, "_rlock", None), "_concurtrace_sync", None)
    return None if info is None else info.identity + GET


_QUEUE_CLASSES = ("JoinableQueue", "Queue", "SimpleQueue")


def queue_kind(q: Any) -> str:
    """mp.Queue, mp.JoinableQueue or mp.SimpleQueue: the multiprocessing class q is (or
    derives from: ProcessPoolExecutor's call queue is a _SafeQueue, a Queue), so that its
    get's kind is one whose "put" signals end it (model/sync_mp.py)."""
    for cls in type(q).__mro__:
        if cls.__name__ in _QUEUE_CLASSES and cls.__module__ == "multiprocessing.queues":
            return f"mp.{cls.__name__}"
    return "mp.Queue"


def _mark(sink: Sink, q: Any, unpickled: bool = False) -> None:
    site = None if unpickled else creation_site()
    if q.__dict__.get("_concurtrace_site") is None:
        q.__dict__["_concurtrace_site"] = site
    notempty = getattr(q, "_notempty", None)  # the feeder thread's threading.Condition
    if notempty is not None and site is not None:
        try:
            notempty._concurtrace_site = site
        except (AttributeError, TypeError):
            pass
    kind = queue_kind(q)
    for attr in ("_rlock", "_wlock"):
        tag(sink, getattr(q, attr, None), "Lock", q, internal=True, unpickled=unpickled)
    if getattr(q, "_sem", None) is not None:
        tag(sink, q._sem, kind + ".put", q, unpickled=unpickled)
    identity = queue_identity(q)
    if identity is not None and site is not None and settings.sink is not None \
            and not identity[0].isdigit():
        where = f"{site[0].rsplit('/', 1)[-1]}:{site[1]}"
        sink.write({"ev": "sync_object", "ts": _now(), "shared": identity,
                    "kind": kind + ".get", "label": f"{kind}@{where}"})


def _label(q: Any, kind: str, frame: Any) -> str:
    name = cached_name(q, program_frame(frame))
    site = q.__dict__.get("_concurtrace_site")
    where = f"{site[0].rsplit('/', 1)[-1]}:{site[1]}" if site else "?"
    return f"{kind}@{where}" + (f" ({name})" if name else "")


def _recorded_get(sink: Sink, q: Any, identity: str, attempt: Callable[[float | None], Any],
                  timeout: float | None, frame: Any) -> Any:
    start = _now()
    threshold = settings.threshold_s
    short = timeout is not None and timeout <= threshold
    key, offset = table.key(identity)
    table.add_waiter(key, offset, 1)  # before the silent try: a put from now on signals
    settings.busy.on = True  # the read lock's acquire inside is part of this wait
    try:
        return _counted_out(attempt(threshold if timeout is None else min(threshold, timeout)),
                            key, offset)
    except queue.Empty:
        if short:
            table.add_waiter(key, offset, -1)
            raise
    except BaseException:
        table.add_waiter(key, offset, -1)
        raise
    finally:
        settings.busy.on = False
    rest = None if timeout is None else max(0.0, timeout - (_now() - start) / 1e9)
    kind = queue_kind(q)
    me = threading.get_native_id()
    sink.write({"ev": "wait_begin", "ts": start, "tid": me, "obj": id(q), "kind": kind + ".get",
                "label": _label(q, kind, frame), "shared": identity,
                "stack": settings.stack(frame)})
    outcome = "interrupted"
    settings.busy.on = True
    try:
        item = attempt(rest)
        outcome = "got_item"
        return item
    except queue.Empty:
        outcome = "timed_out"
        raise
    finally:
        settings.busy.on = False
        table.add_waiter(key, offset, -1)
        sink.write({"ev": "wait_end", "ts": _now(), "tid": me, "obj": id(q), "outcome": outcome})


def _counted_out(item: Any, key: int, offset: int) -> Any:
    table.add_waiter(key, offset, -1)
    return item


def _has_data(q: Any, timeout: float) -> bool:
    """q._poll(timeout) without its selector (multiprocessing.connection.wait: ~35 Python
    calls, twice in each get of every pool worker): a poll() of the reader's descriptor.
    A closed reader gets its own poll, and so its own error."""
    handle = getattr(getattr(q, "_reader", None), "_handle", None)
    if type(handle) is not int:
        return bool(q._poll(timeout))
    return _ready(handle, timeout)


def _waited_for(q: Any) -> str | None:
    """The queue's identity when a getter counts itself waiting, read BEFORE the put: the
    getter it wakes may stop counting itself before the put returns."""
    identity = queue_identity(q)
    if identity is None or settings.sink is None:
        return None
    key, offset = table.key(identity)
    return identity if table.waiting(key, offset)[0] else None


def _put_signal(sink: Sink, q: Any, identity: str | None, ts: int) -> None:
    if identity is not None and settings.sink is not None:
        sink.write({"ev": "sync_signal", "ts": ts, "tid": threading.get_native_id(),
                    "obj": id(q), "shared": identity, "op": "put"})


def install_queues(hooks: HookSet, sink: Sink, module: Any) -> None:
    queue_cls, joinable, simple = module.Queue, module.JoinableQueue, module.SimpleQueue
    q_init, j_init, s_init = queue_cls.__init__, joinable.__init__, simple.__init__
    q_get, q_put, s_get, s_put = queue_cls.get, queue_cls.put, simple.get, simple.put
    j_put = joinable.put

    def queue_init(self: Any, /, *args: Any, **kwargs: Any) -> None:
        q_init(self, *args, **kwargs)
        _mark(sink, self)

    def joinable_init(self: Any, /, *args: Any, **kwargs: Any) -> None:
        j_init(self, *args, **kwargs)
        mark_condition(sink, self._cond, "mp.JoinableQueue.join", self, lock_internal=True)
        tag(sink, self._unfinished_tasks, "Semaphore", self, internal=True)

    def simple_init(self: Any, /, *args: Any, **kwargs: Any) -> None:
        s_init(self, *args, **kwargs)
        _mark(sink, self)

    def get(self: Any, block: bool = True, timeout: float | None = None) -> Any:
        identity = queue_identity(self)
        if identity is None or not block or not _plain(True, timeout) \
                or settings.sink is None or settings.is_busy():
            return q_get(self, block, timeout)
        try:
            return q_get(self, False)
        except queue.Empty:
            pass
        return _recorded_get(sink, self, identity, lambda t: q_get(self, True, t), timeout,
                             sys._getframe(1))

    def putter(orig: Callable[..., Any]) -> Callable[..., Any]:
        def put(self: Any, obj: Any, block: bool = True, timeout: float | None = None) -> None:
            waited, ts = _waited_for(self), _now()
            orig(self, obj, block, timeout)
            _put_signal(sink, self, waited, ts)

        return put

    def simple_get(self: Any) -> Any:
        identity = queue_identity(self)
        if identity is None or settings.sink is None or settings.is_busy() \
                or _has_data(self, 0.0):
            return s_get(self)

        def attempt(t: float | None) -> Any:
            if t is not None and not _has_data(self, t):
                raise queue.Empty
            return s_get(self)

        return _recorded_get(sink, self, identity, attempt, None, sys._getframe(1))

    def simple_put(self: Any, obj: Any) -> None:
        if settings.sink is not None and self is results_queue():  # a pool worker's result
            # (a multiprocessing Pool's, or a ProcessPoolExecutor's)
            result_put(sink, self, obj, lambda item: s_put(self, item))
            return
        waited, ts = _waited_for(self), _now()
        s_put(self, obj)
        _put_signal(sink, self, waited, ts)

    q_setstate, s_setstate = queue_cls.__setstate__, simple.__setstate__

    def queue_unpickled(self: Any, state: Any) -> None:
        q_setstate(self, state)  # in a spawn child: what its semaphores are part of
        _mark(sink, self, unpickled=True)

    def simple_unpickled(self: Any, state: Any) -> None:
        s_setstate(self, state)
        _mark(sink, self, unpickled=True)

    patch_method(hooks, queue_cls, "__setstate__", queue_unpickled)
    patch_method(hooks, simple, "__setstate__", simple_unpickled)
    patch_method(hooks, queue_cls, "__init__", queue_init)
    patch_method(hooks, joinable, "__init__", joinable_init)
    patch_method(hooks, simple, "__init__", simple_init)
    patch_method(hooks, queue_cls, "get", get)
    patch_method(hooks, queue_cls, "put", putter(q_put))
    patch_method(hooks, joinable, "put", putter(j_put))
    patch_method(hooks, simple, "get", simple_get)
    patch_method(hooks, simple, "put", simple_put)
    from concurtrace.runner.hooks_sync_mp_feeder import install_feeder  # (it imports us)

    install_feeder(hooks, sink, module)
