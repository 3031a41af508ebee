"""Synchronization made visible (issue 16): who waited on which object, and who ended it.

Locks: threading.Lock / threading.RLock return a thin wrapper around the real C lock.
Its fast path is one non-blocking C acquire and records nothing. A blocked acquire
first waits up to the threshold silently (a lock keeps no queue to lose a place in),
then writes "wait_begin" (so a wait still open when the process is killed is known),
waits on, and writes "wait_end". A release that a recorded waiter waits for writes
"sync_signal" with the hold interval. Condition and Event waits cannot be split (a
notify between two waits would be lost): they write wait_begin at once. Semaphores,
queues and joins are level-triggered and are split like locks. Nothing changes what a
call returns, raises or how long it blocks.
"""

from __future__ import annotations

import _thread
import queue
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

from concurtrace.runner.hooks_sync_locks import (
    SyncLock,
    SyncRLock,
    creation_site,
    lock_type_factory,
    named_label,
    settings,
)
from concurtrace.runner.hookset import HookSet, Sink

_now = time.monotonic_ns
SITE_ATTR = "_concurtrace_site"
THREADING_FILE = threading.__file__


def install_sync(hooks: HookSet, sink: Sink) -> None:
    config = getattr(sink, "config", {}) or {}
    if not config.get("sync", True):
        return
    settings.sink = sink
    settings.threshold_s = float(config.get("sync_threshold_ns", 1_000_000)) / 1e9
    hooks.on_uninstall(settings.clear)
    raw_lock, raw_rlock = threading.Lock, threading.RLock
    if isinstance(raw_lock, type):  # 3.13+: threading.Lock is the C type itself
        hooks.patch(threading, "Lock", lock_type_factory(raw_lock))
    else:
        hooks.patch(threading, "Lock", _factory(SyncLock, _thread.allocate_lock))
    if getattr(threading, "_CRLock", None) is not None:
        hooks.patch(threading, "RLock", _factory(SyncRLock, raw_rlock))
    for cls in (threading.Condition, threading.Semaphore, threading.BoundedSemaphore,
                threading.Event, queue.Queue):
        hooks.patch(cls, "__init__", _labelled_init(cls.__init__))
    _install_condition(hooks, sink)
    _install_semaphores(hooks, sink)
    _install_queue(hooks, sink)
    _install_join(hooks, sink)


def _factory(cls: Any, make_inner: Callable[..., Any]) -> Callable[..., Any]:
    def factory(*args: Any, **kwargs: Any) -> Any:
        return cls(make_inner(*args, **kwargs), creation_site())

    return factory


def _labelled_init(orig: Callable[..., None]) -> Callable[..., None]:
    def init(self: Any, *args: Any, **kwargs: Any) -> None:
        orig(self, *args, **kwargs)
        try:
            self.__dict__[SITE_ATTR] = creation_site()
        except (AttributeError, TypeError):
            pass

    return init


def _internal_caller() -> bool:
    """A wait threading itself makes (Thread.start's Event, Barrier's Condition), not one
    the program makes through Condition.wait_for."""
    frame = sys._getframe(2)
    if frame.f_code.co_filename != THREADING_FILE:
        return False
    caller = frame.f_back
    return frame.f_code.co_name != "wait_for" or caller is None \
        or caller.f_code.co_filename == THREADING_FILE


def _begin(sink: Sink, obj: Any, kind: str, start: int, **extra: Any) -> None:
    label = extra.pop("label", None) or named_label(
        obj, kind.split(".")[0], getattr(obj, SITE_ATTR, None), sys._getframe(1))
    record = {"ev": "wait_begin", "ts": start, "tid": threading.get_native_id(), "obj": id(obj),
              "kind": kind, "label": label, "stack": settings.stack()}
    record.update(extra)  # the joined thread
    sink.write(record)


def _end(sink: Sink, obj: Any, outcome: str) -> None:
    sink.write({"ev": "wait_end", "ts": _now(), "tid": threading.get_native_id(),
                "obj": id(obj), "outcome": outcome})


def _signal(sink: Sink, obj: Any, op: str, ts: int) -> None:
    sink.write({"ev": "sync_signal", "ts": ts, "tid": threading.get_native_id(),
                "obj": id(obj), "op": op})


def _whole_wait(sink: Sink, obj: Any, kind: str, orig: Callable[..., Any], args: tuple[Any, ...],
                done: str) -> Any:
    """One wait that cannot be split: begin at once, then the original, then its end."""
    _begin(sink, obj, kind, _now())
    outcome = "interrupted"
    settings.busy.on = True
    try:
        result = sink.call(orig, obj, *args)
        outcome = done if result else "timed_out"
        return result
    finally:
        settings.busy.on = False
        _end(sink, obj, outcome)


def _install_condition(hooks: HookSet, sink: Sink) -> None:
    cond, event = threading.Condition, threading.Event
    orig_wait, orig_notify = cond.wait, cond.notify
    orig_event_wait, orig_set = event.wait, event.set

    def wait(self: Any, timeout: float | None = None) -> bool:
        if settings.sink is None or settings.is_busy() or _internal_caller():
            return bool(sink.call(orig_wait, self, timeout))
        return bool(_whole_wait(sink, self, "Condition", orig_wait, (timeout,), "notified"))

    def notify(self: Any, n: int = 1) -> None:
        if not self._waiters or settings.sink is None or settings.is_busy():
            orig_notify(self, n)
            return None
        ts = _now()
        orig_notify(self, n)
        _signal(sink, self, "notify", ts)
        return None

    def event_wait(self: Any, timeout: float | None = None) -> bool:
        if getattr(self, "_flag", True) or settings.sink is None or settings.is_busy() \
                or _internal_caller():
            return bool(sink.call(orig_event_wait, self, timeout))
        return bool(_whole_wait(sink, self, "Event", orig_event_wait, (timeout,), "set"))

    def event_set(self: Any) -> None:
        waiting = bool(getattr(getattr(self, "_cond", None), "_waiters", None)) \
            and not _internal_caller()
        ts = _now()
        previous = settings.is_busy()
        settings.busy.on = True
        try:
            sink.call(orig_set, self)
        finally:
            settings.busy.on = previous
        if waiting and not previous and settings.sink is not None:
            _signal(sink, self, "set", ts)

    hooks.patch(cond, "wait", wait)
    hooks.patch(cond, "notify", notify)
    hooks.patch(event, "wait", event_wait)
    hooks.patch(event, "set", event_set)


def _split_wait(sink: Sink, obj: Any, kind: str, attempt: Callable[[float | None], bool],
                timeout: float | None, done_outcome: str, timeout_exc: Any = (),
                **extra: Any) -> bool:
    """Waits up to the threshold silently, then records and waits the rest of timeout.

    attempt(t) waits at most t seconds (None: forever) and says whether it got what it
    waited for; a timeout is False or a timeout_exc, which propagates as it came."""
    start = _now()
    threshold = settings.threshold_s
    short = timeout is not None and timeout <= threshold
    try:
        if attempt(threshold if timeout is None else min(threshold, timeout)):
            return True
    except timeout_exc:
        if short:
            raise
    if short:
        return False
    rest = None if timeout is None else max(0.0, timeout - (_now() - start) / 1e9)
    _begin(sink, obj, kind, start, **extra)
    outcome = "interrupted"
    try:
        done = attempt(rest)
        outcome = done_outcome if done else "timed_out"
        return done
    except timeout_exc:
        outcome = "timed_out"
        raise
    finally:
        _end(sink, obj, outcome)


def _positive(timeout: Any) -> bool:
    return type(timeout) in (int, float) and 0 < timeout <= threading.TIMEOUT_MAX


def _install_semaphores(hooks: HookSet, sink: Sink) -> None:
    sem = threading.Semaphore
    orig_acquire = sem.acquire

    def acquire(self: Any, blocking: bool = True, timeout: float | None = None) -> bool:
        if not blocking or settings.sink is None or settings.is_busy() \
                or (timeout is not None and not _positive(timeout)):
            return bool(sink.call(orig_acquire, self, blocking, timeout))
        settings.busy.on = True
        try:
            if orig_acquire(self, False):
                return True
            kind = type(self).__name__ if type(self) in (sem, threading.BoundedSemaphore) \
                else "Semaphore"
            return _split_wait(sink, self, kind,
                               lambda t: bool(sink.call(orig_acquire, self, True, t)),
                               timeout, "acquired")
        finally:
            settings.busy.on = False

    hooks.patch(sem, "acquire", acquire)
    for cls in (sem, threading.BoundedSemaphore):
        hooks.patch(cls, "release", _signalling(sink, vars(cls)["release"], "_cond", "release"))


def _signalling(sink: Sink, orig: Callable[..., Any], cond_attr: str, op: str) -> Any:
    """A release/put/get that records a signal when a recorded waiter may be waiting."""

    def release(self: Any, *args: Any, **kwargs: Any) -> Any:
        if settings.sink is None or settings.is_busy():
            return sink.call(orig, self, *args, **kwargs)
        waiting = bool(getattr(getattr(self, cond_attr, None), "_waiters", None))
        ts = _now()
        settings.busy.on = True
        try:
            result = sink.call(orig, self, *args, **kwargs)
        finally:
            settings.busy.on = False
        if waiting:
            _signal(sink, self, op, ts)
        return result

    return release


def _install_queue(hooks: HookSet, sink: Sink) -> None:
    cls = queue.Queue
    orig_get, orig_put = cls.get, cls.put
    signal_get = _signalling(sink, orig_get, "not_full", "get")
    signal_put = _signalling(sink, orig_put, "not_empty", "put")

    def get(self: Any, block: bool = True, timeout: float | None = None) -> Any:
        if not block or settings.sink is None or settings.is_busy() \
                or (timeout is not None and not _positive(timeout)):
            return signal_get(self, block, timeout)
        try:
            return signal_get(self, False)
        except queue.Empty:
            pass

        got: list[Any] = []

        def attempt(t: float | None) -> bool:
            got.append(signal_get(self, True, t))
            return True

        _split_wait(sink, self, "Queue.get", attempt, timeout, "got_item", queue.Empty)
        return got[0]

    def put(self: Any, item: Any, block: bool = True, timeout: float | None = None) -> None:
        if not block or settings.sink is None or settings.is_busy() or self.maxsize <= 0 \
                or (timeout is not None and not _positive(timeout)):
            signal_put(self, item, block, timeout)
            return
        try:
            signal_put(self, item, False)
            return
        except queue.Full:
            pass

        def attempt(t: float | None) -> bool:
            signal_put(self, item, True, t)
            return True

        _split_wait(sink, self, "Queue.put", attempt, timeout, "put_item", queue.Full)

    hooks.patch(cls, "get", get)
    hooks.patch(cls, "put", put)


def _install_join(hooks: HookSet, sink: Sink) -> None:
    orig_join = threading.Thread.join

    def join(self: threading.Thread, timeout: float | None = None) -> None:
        try:
            plain = settings.sink is None or settings.is_busy() or not self.is_alive() \
                or self is threading.current_thread() \
                or (timeout is not None and not _positive(timeout))
        except Exception:  # noqa: BLE001 - not initialised: the original says so
            plain = True
        if plain:
            sink.call(orig_join, self, timeout)
            return

        def attempt(t: float | None) -> bool:
            sink.call(orig_join, self, t)
            return not self.is_alive()

        _split_wait(sink, self, "Thread", attempt, timeout, "thread_ended",
                    label=f"Thread {self.name}", target=self.native_id)

    hooks.patch(threading.Thread, "join", join)
