"""Sync hooks for the level-triggered waits: semaphores, queue.Queue get/put, Thread.join.

Their state persists (a count, an item, an ended thread), so a blocking call can be
split: a silent wait up to the threshold, then a recorded wait for the rest.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from concurtrace.runner.hooks_sync_naming import INITIAL_ATTR, settings
from concurtrace.runner.hooks_sync_records import begin, end, signal
from concurtrace.runner.hookset import HookSet, Sink
from concurtrace.runner.own_frames import clean_raise

TYPE_CHECKING = False  # not typing's: importing typing costs every traced process
if TYPE_CHECKING:
    from typing import Any

_now = time.monotonic_ns


def split_wait(sink: Sink, obj: Any, kind: str, attempt: Callable[[float | None], bool],
                timeout: float | None, done_outcome: str | Callable[[], str],
                timeout_exc: Any = (), **extra: Any) -> bool:
    """Waits up to the threshold silently, then records and waits the rest of timeout.

    attempt(t) waits at most t seconds (None: forever) and says whether it got what it
    waited for; a timeout is False or a timeout_exc, which propagates as it came.
    done_outcome may be a function: how it ended is known only then (a Future's)."""
    start = _now()
    threshold = settings.threshold_s
    short = timeout is not None and timeout <= threshold
    settings.busy.on = True  # the Condition waits and lock acquires inside are this wait
    try:
        if attempt(threshold if timeout is None else min(threshold, timeout)):
            return True
    except timeout_exc:
        if short:
            raise
    finally:
        settings.busy.on = False
    if short:
        return False
    rest = None if timeout is None else max(0.0, timeout - (_now() - start) / 1e9)
    begin(sink, obj, kind, start, timeout=timeout, **extra)  # a wait with one is no deadlock
    outcome = "interrupted"
    settings.busy.on = True
    try:
        done = attempt(rest)
        outcome = "timed_out" if not done else done_outcome if isinstance(done_outcome, str) \
            else done_outcome()
        return done
    except timeout_exc:
        outcome = "timed_out"
        raise
    finally:
        settings.busy.on = False
        end(sink, obj, outcome)


def positive(timeout: Any) -> bool:
    return type(timeout) in (int, float) and 0 < timeout <= threading.TIMEOUT_MAX


def install_semaphores(hooks: HookSet, sink: Sink) -> None:
    sem = threading.Semaphore
    orig_acquire = sem.acquire

    def acquire(self: Any, blocking: bool = True, timeout: float | None = None) -> bool:
        if not blocking or settings.sink is None or settings.is_busy() \
                or (timeout is not None and not positive(timeout)):
            return bool(settings.call(orig_acquire, self, blocking, timeout))
        settings.busy.on = True
        try:
            if settings.call(orig_acquire, self, False):
                return True
            kind = type(self).__name__ if type(self) in (sem, threading.BoundedSemaphore) \
                else "Semaphore"
            return split_wait(sink, self, kind,
                               lambda t: bool(settings.call(orig_acquire, self, True, t)),
                               timeout, "acquired",
                               initial=vars(self).get(INITIAL_ATTR))
        finally:
            settings.busy.on = False

    hooks.patch(sem, "acquire", clean_raise(acquire))
    # `with sem:` calls __enter__, which the class binds to the original acquire.
    hooks.patch(sem, "__enter__", clean_raise(acquire))
    for cls in (sem, threading.BoundedSemaphore):
        hooks.patch(cls, "release",
                    clean_raise(signalling(sink, vars(cls)["release"], "_cond", "release")))


def signalling(sink: Sink, orig: Callable[..., Any], cond_path: str, op: str) -> Any:
    """A release/put/get that records a signal when a recorded waiter may be waiting on
    the Condition at cond_path ("_cond", "not_empty", "_count._cond")."""
    first, *inner = cond_path.split(".")

    def release(self: Any, /, *args: Any, **kwargs: Any) -> Any:
        cond = getattr(self, first, None)
        for attr in inner:  # (none but for a SimpleQueue's Semaphore)
            cond = getattr(cond, attr, None)
        waiting = bool(getattr(cond, "_waiters", None))
        busy = settings.busy
        if not waiting or settings.sink is None or busy.on or busy.signalling:
            return settings.call(orig, self, *args, **kwargs)
        ts = _now()
        busy.signalling = True  # its notify is part of this signal, not one of its own
        try:
            result = settings.call(orig, self, *args, **kwargs)
        finally:
            busy.signalling = False
        signal(sink, self, op, ts)
        return result

    return release


def install_queue(hooks: HookSet, sink: Sink, queue: Any) -> None:
    cls = queue.Queue
    orig_get, orig_put = cls.get, cls.put
    signal_get = signalling(sink, orig_get, "not_full", "get")
    signal_put = signalling(sink, orig_put, "not_empty", "put")

    def get(self: Any, block: bool = True, timeout: float | None = None) -> Any:
        if not block or settings.sink is None or settings.is_busy() \
                or (timeout is not None and not positive(timeout)):
            return signal_get(self, block, timeout)
        try:  # inline, not in item_wait: a get from a queue that has items is hot
            return signal_get(self, False)
        except queue.Empty:
            pass
        return item_wait(sink, self, "Queue.get", lambda t: signal_get(self, True, t),
                         timeout, queue.Empty)

    def put(self: Any, item: Any, block: bool = True, timeout: float | None = None) -> None:
        if not block or settings.sink is None or settings.is_busy() or self.maxsize <= 0 \
                or (timeout is not None and not positive(timeout)):
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

        split_wait(sink, self, "Queue.put", attempt, timeout, "put_item", queue.Full)

    hooks.patch(cls, "get", clean_raise(get))
    hooks.patch(cls, "put", clean_raise(put))


def item_wait(sink: Sink, obj: Any, kind: str, get: Callable[[float | None], Any],
              timeout: float | None, empty: Any) -> Any:
    """A get that found no item: get(t) blocks at most t, split like every level wait."""
    got: list[Any] = []

    def attempt(t: float | None) -> bool:
        got.append(get(t))
        return True

    split_wait(sink, obj, kind, attempt, timeout, "got_item", empty)
    return got[0]


def install_join(hooks: HookSet, sink: Sink) -> None:
    orig_join = threading.Thread.join

    def join(self: threading.Thread, timeout: float | None = None) -> None:
        try:
            plain = settings.sink is None or settings.is_busy() or not self.is_alive() \
                or self is threading.current_thread() \
                or (timeout is not None and not positive(timeout))
        except Exception:  # noqa: BLE001 - not initialised: the original says so
            plain = True
        if plain:
            settings.call(orig_join, self, timeout)
            return

        def attempt(t: float | None) -> bool:
            settings.call(orig_join, self, t)
            return not self.is_alive()

        split_wait(sink, self, "Thread", attempt, timeout, "thread_ended",
                    label=f"Thread {self.name}", target=self.native_id)

    hooks.patch(threading.Thread, "join", clean_raise(join))


def install_py_simple_queue(hooks: HookSet, sink: Sink, cls: Any, empty: Any) -> None:
    """queue._PySimpleQueue (SimpleQueue itself without _queue): a blocking get is one
    "SimpleQueue.get" wait on the queue, its Semaphore's acquire inside it, as the C
    SimpleQueue's (CPython's test_queue read them as the Semaphore's, q._count)."""
    orig_get, orig_put = cls.get, cls.put

    def get(self: Any, block: bool = True, timeout: float | None = None) -> Any:
        if not block or settings.sink is None or settings.is_busy() \
                or (timeout is not None and not positive(timeout)):
            return settings.call(orig_get, self, block, timeout)
        try:
            return settings.call(orig_get, self, False)
        except empty:
            pass
        return item_wait(sink, self, "SimpleQueue.get",
                         lambda t: settings.call(orig_get, self, True, t), timeout, empty)

    hooks.patch(cls, "get", clean_raise(get))
    # its Semaphore's release is this put's signal (put_nowait and get_nowait call these)
    hooks.patch(cls, "put", clean_raise(signalling(sink, orig_put, "_count._cond", "put")))
