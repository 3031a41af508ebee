"""Sync hooks for threading.Barrier and queue.SimpleQueue.

Barrier: a wait is recorded in Barrier._wait (only the threads that must wait get
there; the last to arrive calls _release instead, which writes the "arrive" signal
that ends the others' waits). _break (a timeout, abort(), a failing action) and
reset() write theirs too, so a broken wait names who broke it. The barrier keeps its
state, so the wait is not split; it is recorded whole, like a Condition's.

queue.SimpleQueue is a C type whose methods cannot be patched: while concurtrace runs,
queue.SimpleQueue is a subclass of it with a Python get (split like Queue.get) and a
put that signals when a recorded get waits. Its repr, pickling error and
SimpleQueue[...] read as the C type's; `type(q)` is the subclass.
"""

from __future__ import annotations

import _queue
import sys
import threading
import time
import types

from concurtrace.runner.hooks_sync_naming import FUTURES_DIR, creation_site, new_key, settings
from concurtrace.runner.hooks_sync_records import begin, end, signal
from concurtrace.runner.hooks_sync_waits import item_wait, positive
from concurtrace.runner.hookset import HookSet, Sink
from concurtrace.runner.own_frames import clean_raise, unlink

TYPE_CHECKING = False  # not typing's: importing typing costs every traced process
if TYPE_CHECKING:
    from typing import Any

_now = time.monotonic_ns
_broke = threading.local()  # the Barrier this thread's own timeout broke


def install_barrier(hooks: HookSet, sink: Sink) -> None:
    cls = threading.Barrier
    names = ("_wait", "_release", "_break", "reset")
    if not all(callable(vars(cls).get(name)) for name in names):
        return  # another Barrier than 3.10-3.14's: its waits stay unrecorded
    orig_wait, orig_release, orig_break, orig_reset = (vars(cls)[name] for name in names)

    def wait(self: Any, timeout: float | None) -> None:
        if settings.sink is None or settings.is_busy() or _shared(self):
            settings.call(orig_wait, self, timeout)
            return
        begin(sink, self, "Barrier", _now(), parties=self._parties)
        _broke.barrier = None
        outcome = "interrupted"
        settings.busy.on = True
        try:
            settings.call(orig_wait, self, timeout)
            outcome = "passed"
        except threading.BrokenBarrierError:
            outcome = "timed_out" if _broke.barrier is self else \
                "reset" if self._state == -1 else "broken"
            raise
        finally:
            settings.busy.on = False
            _broke.barrier = None
            end(sink, self, outcome)

    def _signalled(orig: Any, op: str) -> Any:
        def call(self: Any) -> None:
            if _shared(self):
                settings.call(orig, self)
                return
            waiting = bool(self._cond._waiters) and settings.sink is not None
            ts = _now()
            previous = settings.is_busy()
            settings.busy.on = True  # its notify_all is this signal
            try:
                settings.call(orig, self)
            finally:
                settings.busy.on = previous
            if op == "break":
                _broke.barrier = self
            if waiting:
                signal(sink, self, op, ts)

        return call

    hooks.patch(cls, "_wait", clean_raise(wait))
    hooks.patch(cls, "_release", clean_raise(_signalled(orig_release, "arrive")))
    hooks.patch(cls, "_break", clean_raise(_signalled(orig_break, "break")))
    hooks.patch(cls, "reset", clean_raise(_signalled(orig_reset, "reset")))


def _shared(barrier: Any) -> bool:
    """multiprocessing's Barrier subclasses threading's on a multiprocessing Condition (no
    _waiters): hooks_sync_mp records its waits across processes; these hooks stay out."""
    return type(barrier) is not threading.Barrier and \
        not isinstance(getattr(barrier, "_cond", None), threading.Condition)


_RawSimpleQueue: Any = _queue.SimpleQueue
_raw_get, _raw_put = _RawSimpleQueue.get, _RawSimpleQueue.put
_raw_put_nowait = _RawSimpleQueue.put_nowait


class SyncSimpleQueue(_RawSimpleQueue):  # type: ignore[misc]
    """queue.SimpleQueue while concurtrace runs: the C queue, its blocking get observed."""

    __slots__ = ("_concurtrace_site", "_concurtrace_name", "_concurtrace_key",
                 "_concurtrace_waiting")

    def __new__(cls, *args: Any, **kwargs: Any) -> Any:
        try:
            # As the C type: it refuses arguments for itself and (3.11+) for subclasses
            # without an __init__ of their own.
            if (args or kwargs) and (cls is SyncSimpleQueue or (
                    sys.version_info >= (3, 11) and cls.__init__ is object.__init__)):
                which = "positional" if args else "keyword"
                raise TypeError(f"SimpleQueue() takes no {which} arguments")
            self = _RawSimpleQueue.__new__(cls)
        except BaseException as error:
            unlink(error)
            raise
        self._concurtrace_site, self._concurtrace_key = creation_site(), new_key()
        self._concurtrace_waiting = []  # one entry per get() waiting: append/pop are atomic
        maker = sys._getframe(1)
        if maker.f_code.co_name == "__init__" and maker.f_code.co_filename.startswith(FUTURES_DIR):
            self._concurtrace_name = "ThreadPoolExecutor work queue"
        return self

    # One Python frame on the paths that do not wait (a queue under a pool is hot).
    def get(self, block: bool = True, timeout: float | None = None) -> Any:
        try:
            if not block or settings.sink is None or settings.busy.on \
                    or (timeout is not None and not positive(timeout)):
                return settings.call(_raw_get, self, block, timeout)
            try:
                return settings.call(_raw_get, self, False)
            except _queue.Empty:  # queue.Empty itself
                pass
            return self._wait_get(timeout)
        except BaseException as error:  # Empty, bad timeouts: read as without us
            unlink(error)
            raise

    def _wait_get(self, timeout: float | None) -> Any:
        self._concurtrace_waiting.append(None)
        try:
            return item_wait(settings.sink, self, "SimpleQueue.get",
                             lambda t: settings.call(_raw_get, self, True, t), timeout,
                             _queue.Empty)
        finally:
            self._concurtrace_waiting.pop()

    def put(self, *args: Any, **kwargs: Any) -> None:
        try:
            if not self._concurtrace_waiting or settings.sink is None:
                settings.call(_raw_put, self, *args, **kwargs)
                return
            ts = _now()
            settings.call(_raw_put, self, *args, **kwargs)
            signal(settings.sink, self, "put", ts)  # it ends a recorded get's wait
        except BaseException as error:  # wrong arguments: read as without us
            unlink(error)
            raise

    def put_nowait(self, *args: Any, **kwargs: Any) -> None:
        try:
            if not self._concurtrace_waiting or settings.sink is None:
                settings.call(_raw_put_nowait, self, *args, **kwargs)
                return
            ts = _now()
            settings.call(_raw_put_nowait, self, *args, **kwargs)
            signal(settings.sink, self, "put", ts)
        except BaseException as error:
            unlink(error)
            raise

    def __repr__(self) -> str:
        return f"<_queue.SimpleQueue object at {id(self):#x}>"

    def __reduce_ex__(self, protocol: Any) -> Any:
        cls = type(self)  # the C type's name, or a subclass's own, as without us
        name = "_queue.SimpleQueue" if cls is SyncSimpleQueue else cls.__name__
        raise TypeError(f"cannot pickle '{name}' object")

    def __class_getitem__(cls, item: Any) -> Any:
        return types.GenericAlias(_RawSimpleQueue, item)


# Named as where it is found, so pickle finds the class by reference.
SyncSimpleQueue.__module__, SyncSimpleQueue.__qualname__ = "queue", "SimpleQueue"
SyncSimpleQueue.__name__ = "SimpleQueue"


def install_simple_queue(hooks: HookSet, sink: Sink, queue: Any) -> None:
    if getattr(queue, "SimpleQueue", None) is _RawSimpleQueue:
        hooks.patch(queue, "SimpleQueue", SyncSimpleQueue)
