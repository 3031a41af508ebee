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
import sys
import threading
import time
from collections.abc import Callable

from concurtrace.model.units import SYNC_THRESHOLD_NS
from concurtrace.runner.frame_locals import frame_local
from concurtrace.runner.hooks_sync_counts import install_counts
from concurtrace.runner.hooks_sync_exit import install_exit_wait
from concurtrace.runner.hooks_sync_futures import (
    KIND_ATTR,
    future_wait,
    futures_event_wait,
    install_futures_lazily,
)
from concurtrace.runner.hooks_sync_locks import (
    SyncLock,
    SyncRLock,
    lock_type_factory,
    raw_lock_wanted,
)
from concurtrace.runner.hooks_sync_naming import (
    INITIAL_ATTR,
    OUR_DIRS,
    SHARING_GLOBALS,
    SITE_ATTR,
    creation_site,
    named_label,
    settings,
    share_site,
)
from concurtrace.runner.hooks_sync_outer import unhooked_queue
from concurtrace.runner.hooks_sync_records import begin, end, signal, whole_wait
from concurtrace.runner.hooks_sync_threading import install_barrier, install_simple_queue
from concurtrace.runner.hooks_sync_waits import (
    install_join,
    install_py_simple_queue,
    install_queue,
    install_semaphores,
)
from concurtrace.runner.hookset import HookSet, Sink
from concurtrace.runner.import_watch import after_import
from concurtrace.runner.own_frames import clean_raise, unlink

TYPE_CHECKING = False  # not typing's: importing typing costs every traced process
if TYPE_CHECKING:
    from typing import Any

_now = time.monotonic_ns
THREADING_FILE = threading.__file__


def install_sync(hooks: HookSet, sink: Sink) -> None:
    config = getattr(sink, "config", {}) or {}
    if not config.get("sync", True):
        return
    settings.sink = sink
    if not config.get("light", False):
        settings.call = sink.call
    settings.threshold_s = float(config.get("sync_threshold_ns", SYNC_THRESHOLD_NS)) / 1e9
    hooks.on_uninstall(settings.clear)
    raw_lock, raw_rlock = threading.Lock, threading.RLock
    if isinstance(raw_lock, type):  # 3.13+: threading.Lock is the C type itself
        hooks.patch(threading, "Lock", lock_type_factory(raw_lock))
    else:
        lock = _factory(SyncLock, _thread.allocate_lock, 2)
        hooks.patch(threading, "Lock", _Unbound(lock, "Lock"))
    if getattr(threading, "_CRLock", None) is not None:
        hooks.patch(threading, "RLock", _factory(SyncRLock, raw_rlock))
    for cls in (threading.Condition, threading.Barrier):  # Event's: _install_condition
        hooks.patch(cls, "__init__", _labelled_init(cls.__init__))
    for sem in (threading.Semaphore, threading.BoundedSemaphore):
        hooks.patch(sem, "__init__", _labelled_init(sem.__init__, INITIAL_ATTR))
    _install_condition(hooks, sink)
    install_semaphores(hooks, sink)
    install_join(hooks, sink)
    install_exit_wait(hooks, sink)
    install_counts(hooks)
    install_barrier(hooks, sink)
    if "queue" in sys.modules:  # (imported before us: another sitecustomize, a .pth file)
        install_queue_module(hooks, sink, sys.modules["queue"])
    else:  # importing queue ourselves would cost every traced process ~1 ms
        after_import(hooks, "queue", lambda module: install_queue_module(hooks, sink, module))
    install_futures_lazily(hooks, sink)


def install_queue_module(hooks: HookSet, sink: Sink, queue: Any) -> None:
    """queue's hooks, right after its code has run: before the program makes a Queue."""
    SHARING_GLOBALS.append(vars(queue))
    hooks.on_uninstall(lambda: SHARING_GLOBALS.remove(vars(queue)))
    hooks.patch(queue.Queue, "__init__", _labelled_init(queue.Queue.__init__))
    simple: Any = getattr(queue, "_PySimpleQueue", None)  # (SimpleQueue itself without _queue)
    if simple is not None and "__init__" in vars(simple):  # its Semaphore (made in queue) and
        # the Semaphore's lock take its site, as a Queue's mutex and conditions take the Queue's
        hooks.patch(simple, "__init__", _labelled_init(simple.__init__))
        install_py_simple_queue(hooks, sink, simple, queue.Empty)
    install_queue(hooks, sink, queue)
    install_simple_queue(hooks, sink, queue)


class _Unbound:
    """threading.Lock's hook (3.10-3.12, where it is a builtin function): called, not bound
    as a method, when a class keeps it as an attribute (werkzeug's `Map.lock_class =
    threading.Lock`, then `self.lock_class()`); pickled by reference, as threading.Lock."""

    def __init__(self, function: Callable[..., Any], name: str) -> None:
        self._function, self.__module__, self.__qualname__ = function, "threading", name

    def __mro_entries__(self, bases: tuple[Any, ...]) -> tuple[type, ...]:
        # class MyLock(threading.Lock): the builtin function's own error, not ours
        raise TypeError("cannot create 'builtin_function_or_method' instances")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return self._function(*args, **kwargs)
        except BaseException as error:  # Lock(1)'s TypeError: read as without us
            unlink(error)
            raise

    def __reduce__(self) -> str:
        return self.__qualname__

    def __repr__(self) -> str:
        return repr(getattr(self, "__wrapped__", self._function))  # HookSet.patch sets it


# The factory and the init below unlink our frames from what they raise themselves (as
# clean_raise does, without its frame: they run at every Lock(), Condition(), Queue()).
def _factory(cls: Any, make_inner: Callable[..., Any], raw_depth: int = 0) -> Callable[..., Any]:
    """raw_depth: how far up the maker of the lock is, for an Event's (raw_lock_wanted)."""
    def factory(*args: Any, **kwargs: Any) -> Any:
        try:
            inner = make_inner(*args, **kwargs)
        except BaseException as error:
            unlink(error)
            raise
        if raw_depth and raw_lock_wanted(raw_depth):
            return inner
        return cls.wrap(inner, creation_site())

    return factory


def _labelled_init(orig: Callable[..., None], initial: str = "") -> Callable[..., None]:
    """initial: where a Semaphore keeps the value it was made with (0: a signal, whose
    waiters wait for a release, not for holders: model/sync_analysis.py)."""
    def init(self: Any, /, *args: Any, **kwargs: Any) -> None:
        try:
            orig(self, *args, **kwargs)
        except BaseException as error:
            unlink(error)
            raise
        site = creation_site()
        try:
            self.__dict__[SITE_ATTR] = site
            if initial:
                self.__dict__.setdefault(initial, getattr(self, "_value", None))
        except (AttributeError, TypeError):
            return
        if site is not None:
            share_site(self, site)

    return init


def _event_condition(orig_wait: Any, orig_notify: Any) -> type:
    """The class of an Event's own Condition: threading's wait and notify, unhooked (our
    Event.wait records the wait). A signal handler that sets the Event while the thread
    it interrupted holds the Condition's lock in Event.wait deadlocks, as without us: no
    frame of ours runs in that window to widen it. Its name and repr are Condition's."""
    return type("Condition", (threading.Condition,), {
        "__module__": "threading", "__qualname__": "Condition", "__slots__": (),
        "wait": orig_wait, "notify": orig_notify})


def _short(timeout: Any) -> bool:
    """A wait that cannot last past the threshold records nothing (a poll: wait(0))."""
    return type(timeout) in (int, float) and timeout <= settings.threshold_s


def _internal_caller(obj: Any = None) -> bool:
    """A wait threading itself makes (Thread.start's Event, Barrier's Condition), not one
    the program makes through Condition.wait_for."""
    frame: Any = sys._getframe(2)
    while frame is not None and frame.f_code.co_filename.startswith(OUR_DIRS):
        frame = frame.f_back  # the clean_raise wrapper around the hook
    if frame is None or frame.f_code.co_filename != THREADING_FILE:
        return False
    if frame.f_code.co_name == "run" and obj is not None:  # Thread.run, Timer.run: the
        # program's target (Timer(0.1, event.set)), unless it is the Timer's own Event
        return obj is getattr(frame_local(frame, "self"), "finished", None)
    caller = frame.f_back
    return frame.f_code.co_name != "wait_for" or caller is None \
        or caller.f_code.co_filename == THREADING_FILE


def _install_condition(hooks: HookSet, sink: Sink) -> None:
    cond, event = threading.Condition, threading.Event
    orig_wait, orig_notify = cond.wait, cond.notify
    orig_event_wait, orig_set = event.wait, event.set

    def wait(self: Any, timeout: float | None = None) -> bool:
        busy = settings.busy  # inside a recorded wait (an Event's): the fewest steps
        if busy.on and busy.future is None:
            return bool(settings.call(orig_wait, self, timeout))
        future = busy.future
        if future is not None and getattr(future, "_condition", None) is self \
                and settings.sink is not None:
            return future_wait(sink, future, self, orig_wait, timeout)
        if settings.sink is None or busy.on or _short(timeout) or _internal_caller():
            return bool(settings.call(orig_wait, self, timeout))
        queued = unhooked_queue(sys._getframe(1))
        if queued is not None:
            return _queue_wait(self, *queued, timeout)
        return bool(whole_wait(sink, self, "Condition", orig_wait, (timeout,), "notified"))

    def _queue_wait(self: Any, queue: Any, call: str, timeout: float | None) -> bool:
        """An unhooked copy's Queue.get/put waiting on its Condition: the queue's wait."""
        site = getattr(queue, SITE_ATTR, None) or getattr(self, SITE_ATTR, None)
        begin(sink, queue, f"Queue.{call}", _now(), timeout=timeout,
              label=named_label(queue, "Queue", site, sys._getframe(2)))
        outcome = "interrupted"
        settings.busy.on = True
        try:
            result = bool(settings.call(orig_wait, self, timeout))
            outcome = "notified" if result else "timed_out"
            return result
        finally:
            settings.busy.on = False
            end(sink, queue, outcome)

    def notify(self: Any, n: int = 1) -> None:
        if not self._waiters or settings.sink is None or settings.is_busy() \
                or settings.busy.signalling:  # a Semaphore's release, a Queue's put
            settings.call(orig_notify, self, n)
            return None
        ts = _now()
        settings.call(orig_notify, self, n)
        queued = unhooked_queue(sys._getframe(1))  # an unhooked copy's put ends a get
        if queued is not None:
            signal(sink, queued[0], queued[1], ts)
        else:
            signal(sink, self, "notify", ts)
        return None

    def event_wait(self: Any, timeout: float | None = None) -> bool:
        if getattr(self, "_flag", True) or settings.sink is None or settings.is_busy() \
                or _short(timeout) or _internal_caller(self):
            return bool(settings.call(orig_event_wait, self, timeout))
        if KIND_ATTR in vars(self):  # a concurrent.futures waiter's: a wait on futures
            return futures_event_wait(sink, self, orig_event_wait, timeout)
        return bool(whole_wait(sink, self, "Event", orig_event_wait, (timeout,), "set"))

    def event_set(self: Any) -> None:
        waiting = bool(getattr(getattr(self, "_cond", None), "_waiters", None)) \
            and not _internal_caller(self)
        ts = _now()
        previous = settings.is_busy()
        settings.busy.on = True
        try:
            settings.call(orig_set, self)
        finally:
            settings.busy.on = previous
        if waiting and not previous and settings.sink is not None:
            signal(sink, self, "set", ts)

    own_cond = _event_condition(orig_wait, orig_notify)
    labelled = _labelled_init(event.__init__)

    def event_init(self: Any, /, *args: Any, **kwargs: Any) -> None:
        labelled(self, *args, **kwargs)
        inner = self.__dict__.get("_cond")
        if type(inner) is cond:
            inner.__class__ = own_cond

    hooks.patch(event, "__init__", event_init)
    hooks.patch(cond, "wait", clean_raise(wait))
    hooks.patch(cond, "notify", clean_raise(notify))
    hooks.patch(event, "wait", clean_raise(event_wait))
    hooks.patch(event, "set", clean_raise(event_set))
