"""The lock wrappers behind threading.Lock / threading.RLock while concurtrace runs.

A wrapper holds the real C lock and delegates every call to it. The uncontended path
is the C non-blocking acquire plus two stores (owner ident, acquire time); only a
failed attempt, a real wait, costs more.
"""

from __future__ import annotations

import _thread
import sys
import threading
import time

from concurtrace.runner.hooks_sync_counts import counted
from concurtrace.runner.hooks_sync_naming import creation_site, named_label, new_key, settings
from concurtrace.runner.hooks_sync_outer import outer_call
from concurtrace.runner.own_frames import unlink

TYPE_CHECKING = False  # not typing's: importing typing costs every traced process
if TYPE_CHECKING:
    from typing import Any

_now = time.monotonic_ns
_ident = _thread.get_ident


# Event.__init__'s Condition(Lock()) keeps the C lock. A program's signal handler that
# calls event.set() while the thread it interrupted is inside event.wait() holding that
# lock deadlocks, as without us; a wrapper's Python frames in _is_owned and _release_save
# widened that window (a wait on it is the Event's own, never longer than a few bytecodes).
_RAW_LOCK_MAKERS = (threading.Event.__init__.__code__,)


def raw_lock_wanted(depth: int) -> bool:
    """The Lock being made (the caller depth frames up) is an Event's inner lock."""
    try:
        return sys._getframe(depth + 1).f_code in _RAW_LOCK_MAKERS
    except ValueError:
        return False


def _native(ident: int) -> int | None:
    thread = threading._active.get(ident)  # type: ignore[attr-defined]
    return getattr(thread, "native_id", None) if thread is not None else None


def _valid_timeout(timeout: Any) -> bool:
    return type(timeout) in (int, float) and 0 < timeout <= threading.TIMEOUT_MAX


def _holder_stack(holder: int | None) -> list[dict[str, Any]]:
    """Where the holder is, read from its frame and not kept: a wait that held the holder's
    frame kept it, and the objects of its locals, alive past its return, to be freed when
    the wait ended, in the waiter, just as it took the lock. ProcessPoolExecutor's manager
    thread then freed the executor (kept by the frame of a method of it in which the main
    thread had held the shutdown lock) and its weakref callback took that lock again: CPython
    3.10's test_concurrent_futures hung in test_del_shutdown."""
    frame = sys._current_frames().get(holder) if holder else None
    return settings.stack(frame) if frame is not None else []


def _acquire_slow(lock: Any, blocking: Any, timeout: Any) -> bool:
    inner, sink = lock._inner, settings.sink
    if not blocking or sink is None or settings.is_busy() \
            or (timeout != -1 and not _valid_timeout(timeout)):
        got = bool(inner.acquire(blocking, timeout))  # the C lock validates, as before
        if got:
            lock._took()
        return got
    start = _now()
    threshold = settings.threshold_s
    if timeout != -1 and inner.acquire(False):  # a timed acquire: not tried yet, uncontended
        lock._took()
        return True
    if inner.acquire(True, threshold if timeout == -1 else min(threshold, timeout)):
        lock._took()
        counted(lock, lock._since - start, sys._getframe(1))
        return True
    if timeout != -1 and timeout <= threshold:
        return False
    rest = -1 if timeout == -1 else max(0.0, timeout - (_now() - start) / 1e9)
    holder = lock._owner
    me = threading.get_native_id()
    record = {"ev": "wait_begin", "ts": start, "tid": me, "obj": lock._concurtrace_key,
              "kind": lock.kind,
              "label": named_label(lock, lock.kind, lock._concurtrace_site, sys._getframe(1)),
              "holder": _native(holder) if holder else None,
              "holder_since": lock._since,
              "holder_stack": _holder_stack(holder),
              "stack": settings.stack(), "timeout": None if timeout == -1 else timeout}
    record.update(outer_call(lock, sys._getframe(1)))  # a Semaphore's, a queue's inner lock
    sink.write(record)
    lock._waiting += 1
    got, outcome = False, "interrupted"
    try:
        got = bool(inner.acquire(True, rest))
        outcome = "acquired" if got else "timed_out"
    finally:
        lock._waiting -= 1
        if got:
            lock._took()  # the hold starts where the wait ends, on one clock read
            counted(lock, lock._since - start, sys._getframe(1))
        sink.write({"ev": "wait_end", "ts": lock._since if got else _now(), "tid": me,
                    "obj": lock._concurtrace_key, "outcome": outcome})
    return got


def _released(lock: Any, ts: int, since: int) -> None:
    sink = settings.sink
    if sink is not None:
        sink.write({"ev": "sync_signal", "ts": ts, "tid": threading.get_native_id(),
                    "obj": lock._concurtrace_key, "op": "release", "since": since,
                    "waiting": lock._waiting})


class _Wrapper:
    __slots__ = ("_inner", "_owner", "_since", "_waiting", "_acquires", "_contended",
                 "_contended_ns", "_concurtrace_site",
                 "_concurtrace_name", "_concurtrace_key", "__weakref__")
    kind = "Lock"
    raw: Any = None  # the C type it stands for: what type(lock)() makes
    _inner: Any  # (declared for the type checker: wrap sets the slots)
    _owner: int
    _since: int
    _waiting: int
    _acquires: int
    _contended: int
    _contended_ns: int
    _concurtrace_site: tuple[str, int] | None
    _concurtrace_key: int

    def __new__(cls, *args: Any, **kwargs: Any) -> Any:
        # The program calling type(lock)(): as the C type does (3.10-3.12's _thread.lock
        # refuses, 3.13's lock and _thread.RLock make one), wrapped. (test_threading)
        try:
            inner = cls.raw(*args, **kwargs)
        except BaseException as error:
            unlink(error)
            raise
        return cls.wrap(inner, creation_site())

    @classmethod
    def wrap(cls, inner: Any, site: tuple[str, int] | None) -> Any:
        self: Any = object.__new__(cls)
        self._inner, self._concurtrace_site = inner, site
        self._owner = self._since = self._waiting = 0
        self._acquires = self._contended = self._contended_ns = 0  # hooks_sync_counts
        self._concurtrace_key = new_key()
        return self

    def _took(self) -> None:
        self._owner, self._since = _ident(), _now()
        self._acquires += 1

    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
        if timeout == -1:
            if self._inner.acquire(False):
                self._owner, self._since = _ident(), _now()
                self._acquires += 1
                return True
            if not blocking:  # one try, as the C lock makes (Condition._is_owned's probe)
                return False
        try:
            return _acquire_slow(self, blocking, timeout)
        except BaseException as error:  # bad timeouts, KeyboardInterrupt: read as without us
            unlink(error)
            raise

    def __enter__(self) -> bool:
        if self._inner.acquire(False):
            self._owner, self._since = _ident(), _now()
            self._acquires += 1
            return True
        try:
            return _acquire_slow(self, True, -1)
        except BaseException as error:  # bad timeouts, KeyboardInterrupt: read as without us
            unlink(error)
            raise

    def release(self) -> None:
        try:
            if self._waiting:
                ts, since = _now(), self._since
                self._inner.release()
                _released(self, ts, since)
            else:
                self._inner.release()
        except BaseException as error:  # e.g. "release unlocked lock": read as without us
            unlink(error)
            raise

    def __exit__(self, _type: object, _value: object, _tb: object) -> None:
        try:
            if self._waiting:
                self.release()
            else:
                self._inner.release()
        except BaseException as error:
            unlink(error)
            raise

    def _at_fork_reinit(self) -> None:
        self._inner._at_fork_reinit()
        self._owner = self._since = self._waiting = 0

    def __repr__(self) -> str:
        return repr(self._inner)

    def __reduce_ex__(self, protocol: Any) -> Any:
        inner = type(self._inner)
        raise TypeError(f"cannot pickle '{inner.__module__}.{inner.__qualname__}' object")


class SyncLock(_Wrapper):
    """threading.Lock() while concurtrace runs: the real lock, observed."""

    __slots__ = ()
    raw = _thread.LockType

    def locked(self) -> bool:
        return bool(self._inner.locked())

    acquire_lock, release_lock, locked_lock = _Wrapper.acquire, _Wrapper.release, locked


class SyncRLock(_Wrapper):
    """threading.RLock(): also counts its depth, so a hold starts at the outermost acquire."""

    __slots__ = ("_depth",)
    kind = "RLock"
    _depth: int
    raw = _thread.RLock

    @classmethod
    def wrap(cls, inner: Any, site: tuple[str, int] | None) -> Any:
        self = super().wrap(inner, site)
        self._depth = 0
        return self

    def _took(self) -> None:
        if not self._depth:
            self._owner, self._since = _ident(), _now()
        self._depth += 1
        self._acquires += 1

    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
        if timeout == -1:
            if self._inner.acquire(False):
                if not self._depth:
                    self._owner, self._since = _ident(), _now()
                self._depth += 1
                self._acquires += 1
                return True
            if not blocking:
                return False
        try:
            return _acquire_slow(self, blocking, timeout)
        except BaseException as error:  # bad timeouts, KeyboardInterrupt: read as without us
            unlink(error)
            raise

    def __enter__(self) -> bool:
        if self._inner.acquire(False):
            if not self._depth:
                self._owner, self._since = _ident(), _now()
            self._depth += 1
            self._acquires += 1
            return True
        try:
            return _acquire_slow(self, True, -1)
        except BaseException as error:  # bad timeouts, KeyboardInterrupt: read as without us
            unlink(error)
            raise

    def release(self) -> None:
        # Only the owner changes _depth; it drops first, so a thread that takes the lock
        # the moment it is free sees depth 0 and starts its own hold.
        if self._waiting:
            try:
                self._release_contended()
            except BaseException as error:
                unlink(error)
                raise
            return
        self._depth -= 1
        try:
            self._inner.release()
        except BaseException as error:
            self._depth += 1
            unlink(error)
            raise

    # The same body as release, inlined: `with lock:` is the hot path, one call fewer.
    def __exit__(self, _type: object, _value: object, _tb: object) -> None:
        if self._waiting:
            try:
                self._release_contended()
            except BaseException as error:
                unlink(error)
                raise
            return
        self._depth -= 1
        try:
            self._inner.release()
        except BaseException as error:
            self._depth += 1
            unlink(error)
            raise

    def _release_contended(self) -> None:
        self._depth -= 1
        ts, since = _now(), self._since
        try:
            self._inner.release()
        except BaseException as error:
            self._depth += 1
            unlink(error)
            raise
        if not self._depth:
            _released(self, ts, since)

    def _release_save(self) -> Any:
        depth, since, waiting = self._depth, self._since, self._waiting
        self._depth = 0
        ts = _now()
        try:
            state = self._inner._release_save()
        except BaseException:
            self._depth = depth
            raise
        if waiting:
            _released(self, ts, since)
        return (state, depth)

    def _acquire_restore(self, saved: Any) -> None:
        state, depth = saved
        self._inner._acquire_restore(state)
        self._owner, self._since, self._depth = _ident(), _now(), depth

    def _at_fork_reinit(self) -> None:
        super()._at_fork_reinit()
        self._depth = 0

    # Explicit, not __getattr__: Condition probes hasattr(lock, "_release_save") & co., and
    # a Python-level miss costs a raised AttributeError per probe.
    def _is_owned(self) -> bool:
        return bool(self._inner._is_owned())

    if hasattr(_thread.RLock(), "_recursion_count"):  # 3.11+
        def _recursion_count(self) -> int:
            return int(self._inner._recursion_count())

    if hasattr(_thread.RLock(), "locked"):  # 3.14+
        def locked(self) -> bool:
            return bool(self._inner.locked())


# type(lock) reads as without us: its repr, and what refusing to make one says.
for _wrapper, _name in ((SyncLock, "lock"), (SyncRLock, "RLock")):
    _wrapper.__module__, _wrapper.__name__, _wrapper.__qualname__ = "_thread", _name, _name


def lock_type_factory(raw_type: type) -> type:
    """3.13+: threading.Lock is the C type; keep isinstance(x, threading.Lock) true for
    both real locks and wrappers, and calling it makes a wrapper."""

    class _LockMeta(type):
        def __new__(mcs, name: str, bases: tuple[type, ...],
                    namespace: dict[str, Any]) -> _LockMeta:
            if bases:  # class MyLock(threading.Lock): never allowed, as without us
                raise TypeError(f"type '{raw_type.__module__}.{raw_type.__qualname__}' "
                                "is not an acceptable base type")
            return super().__new__(mcs, name, bases, namespace)

        def __instancecheck__(cls, obj: Any) -> bool:
            return isinstance(obj, (raw_type, SyncLock))

        def __subclasscheck__(cls, sub: Any) -> bool:
            return isinstance(sub, type) and issubclass(sub, (raw_type, SyncLock))

        def __call__(cls, *args: Any, **kwargs: Any) -> Any:
            if raw_lock_wanted(1):
                return raw_type(*args, **kwargs)
            return SyncLock.wrap(raw_type(*args, **kwargs), creation_site())  # as factories

        def __repr__(cls) -> str:  # printed as without us: "<class '_thread.lock'>"
            return repr(raw_type)

    # Named threading.Lock, which it is, so pickle finds it by reference (a spawn Manager
    # pickles its registry, which holds threading.Lock); _thread.lock is the raw type.
    return _LockMeta(raw_type.__name__, (), {"__module__": "threading", "__qualname__": "Lock",
                                            "__doc__": raw_type.__doc__})
