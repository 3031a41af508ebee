"""The lock wrappers behind threading.Lock / threading.RLock while concurtrace runs.

A wrapper holds the real C lock and delegates every call to it. The uncontended path
is the C non-blocking acquire plus two stores (owner ident, acquire time); only a
failed attempt, a real wait, costs more. Objects are labelled by where they were
created: the first frame outside threading, queue and concurtrace.
"""

from __future__ import annotations

import _thread
import json
import os
import queue
import sys
import threading
import time
import types
from typing import Any

_now = time.monotonic_ns
_ident = _thread.get_ident
# threading, queue, and what our hooks run (runner/, model/records.py, json), as imported
# through the session's link and resolved: a holder caught writing a record is in its code.
_OURS = [os.path.dirname(os.path.abspath(__file__)), os.path.dirname(os.path.realpath(__file__))]
SKIP_FILES = (threading.__file__, queue.__file__, os.path.dirname(json.__file__),
              *_OURS, *(os.path.join(os.path.dirname(d), "model") for d in _OURS))
STACK_LIMIT = 12


class _Settings:
    """What the hooks share; sink None means uninstalled (every wrapper passes through)."""

    def __init__(self) -> None:
        self.sink: Any = None
        self.threshold_s = 0.001
        self.busy = _thread._local()  # set inside a recorded wait or signal: no nested records

    def is_busy(self) -> bool:
        return bool(getattr(self.busy, "on", False))

    def clear(self) -> None:
        self.sink = None

    @staticmethod
    def stack(frame: Any = None) -> list[dict[str, Any]]:
        frame = frame if frame is not None else sys._getframe(1)
        out: list[dict[str, Any]] = []
        while frame is not None and len(out) < STACK_LIMIT:
            code = frame.f_code
            if not code.co_filename.startswith(SKIP_FILES):
                out.append({"func": code.co_name, "file": code.co_filename, "line": frame.f_lineno})
            frame = frame.f_back
        return out


settings = _Settings()


def creation_site() -> tuple[str, int]:
    frame: Any = sys._getframe(2)
    while frame is not None and frame.f_code.co_filename.startswith(SKIP_FILES):
        frame = frame.f_back
    return (frame.f_code.co_filename, frame.f_lineno) if frame is not None else ("?", 0)


_OPAQUE = (types.ModuleType, type, types.FunctionType, types.BuiltinFunctionType)
NAME_FRAMES = 3


def find_name(obj: Any, frame: Any) -> str:
    """Where the waiter's code can reach obj: a global (or a global's attribute) of the
    first user frame, else a local (or a local's attribute) of the first few; "" if not."""
    while frame is not None and frame.f_code.co_filename.startswith(SKIP_FILES):
        frame = frame.f_back
    if frame is None:
        return ""
    scopes = [frame.f_globals]
    for _ in range(NAME_FRAMES):
        if frame is None:
            break
        scopes.append(frame.f_locals)
        frame = frame.f_back
    for scope in scopes:
        for name, value in list(scope.items()):
            if value is obj:
                return str(name)
        for name, value in list(scope.items()):
            attrs = None if isinstance(value, _OPAQUE) else getattr(value, "__dict__", None)
            if isinstance(attrs, dict):
                for attr, inner in attrs.items():
                    if inner is obj:
                        return f"{name}.{attr}"
    return ""


def named_label(obj: Any, kind: str, site: Any, frame: Any) -> str:
    """Kind@file:line, plus the name found the first time someone waits on it (kept)."""
    name = getattr(obj, "_concurtrace_name", None)
    if name is None:
        name = find_name(obj, frame)
        try:
            obj._concurtrace_name = name
        except (AttributeError, TypeError):
            pass
    where = f"{os.path.basename(site[0])}:{site[1]}" if site else "?"
    return f"{kind}@{where}" + (f" ({name})" if name else "")


def _native(ident: int) -> int | None:
    thread = threading._active.get(ident)  # type: ignore[attr-defined]
    return getattr(thread, "native_id", None) if thread is not None else None


def _valid_timeout(timeout: Any) -> bool:
    return type(timeout) in (int, float) and 0 < timeout <= threading.TIMEOUT_MAX


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
    if inner.acquire(True, threshold if timeout == -1 else min(threshold, timeout)):
        lock._took()
        return True
    if timeout != -1 and timeout <= threshold:
        return False
    rest = -1 if timeout == -1 else max(0.0, timeout - (_now() - start) / 1e9)
    holder = lock._owner
    frames = sys._current_frames().get(holder) if holder else None
    me = threading.get_native_id()
    sink.write({"ev": "wait_begin", "ts": start, "tid": me, "obj": id(lock), "kind": lock.kind,
                "label": named_label(lock, lock.kind, lock._concurtrace_site, sys._getframe(1)),
                "holder": _native(holder) if holder else None,
                "holder_since": lock._since,
                "holder_stack": settings.stack(frames) if frames is not None else [],
                "stack": settings.stack()})
    lock._waiting += 1
    got, outcome = False, "interrupted"
    try:
        got = bool(inner.acquire(True, rest))
        outcome = "acquired" if got else "timed_out"
    finally:
        lock._waiting -= 1
        if got:
            lock._took()  # the hold starts where the wait ends, on one clock read
        sink.write({"ev": "wait_end", "ts": lock._since if got else _now(), "tid": me,
                    "obj": id(lock), "outcome": outcome})
    return got


def _released(lock: Any, ts: int, since: int) -> None:
    sink = settings.sink
    if sink is not None:
        sink.write({"ev": "sync_signal", "ts": ts, "tid": threading.get_native_id(),
                    "obj": id(lock), "op": "release", "since": since, "waiting": lock._waiting})


class _Wrapper:
    __slots__ = ("_inner", "_owner", "_since", "_waiting", "_concurtrace_site",
                 "_concurtrace_name", "__weakref__")
    kind = "Lock"

    def __init__(self, inner: Any, site: tuple[str, int]) -> None:
        self._inner, self._concurtrace_site = inner, site
        self._owner = self._since = self._waiting = 0

    def _took(self) -> None:
        self._owner, self._since = _ident(), _now()

    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
        if timeout == -1 and self._inner.acquire(False):
            self._owner, self._since = _ident(), _now()
            return True
        return _acquire_slow(self, blocking, timeout)

    def __enter__(self) -> bool:
        if self._inner.acquire(False):
            self._owner, self._since = _ident(), _now()
            return True
        return _acquire_slow(self, True, -1)

    def release(self) -> None:
        if self._waiting:
            ts, since = _now(), self._since
            self._inner.release()
            _released(self, ts, since)
        else:
            self._inner.release()

    def __exit__(self, _type: object, _value: object, _tb: object) -> None:
        if self._waiting:
            self.release()
        else:
            self._inner.release()

    def _at_fork_reinit(self) -> None:
        self._inner._at_fork_reinit()
        self._owner = self._since = self._waiting = 0

    def __getattr__(self, name: str) -> Any:
        if name == "_inner":  # not initialised (copied without __init__)
            raise AttributeError(name)
        return getattr(self._inner, name)

    def __repr__(self) -> str:
        return repr(self._inner)

    def __reduce_ex__(self, protocol: Any) -> Any:
        inner = type(self._inner)
        raise TypeError(f"cannot pickle '{inner.__module__}.{inner.__qualname__}' object")


class SyncLock(_Wrapper):
    """threading.Lock() while concurtrace runs: the real lock, observed."""

    __slots__ = ()

    def locked(self) -> bool:
        return bool(self._inner.locked())

    acquire_lock, release_lock, locked_lock = _Wrapper.acquire, _Wrapper.release, locked


class SyncRLock(_Wrapper):
    """threading.RLock(): also counts its depth, so a hold starts at the outermost acquire."""

    __slots__ = ("_depth",)
    kind = "RLock"

    def __init__(self, inner: Any, site: tuple[str, int]) -> None:
        super().__init__(inner, site)
        self._depth = 0

    def _took(self) -> None:
        if not self._depth:
            self._owner, self._since = _ident(), _now()
        self._depth += 1

    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
        if timeout == -1 and self._inner.acquire(False):
            if not self._depth:
                self._owner, self._since = _ident(), _now()
            self._depth += 1
            return True
        return _acquire_slow(self, blocking, timeout)

    def __enter__(self) -> bool:
        if self._inner.acquire(False):
            if not self._depth:
                self._owner, self._since = _ident(), _now()
            self._depth += 1
            return True
        return _acquire_slow(self, True, -1)

    def release(self) -> None:
        # Only the owner changes _depth; it drops first, so a thread that takes the lock
        # the moment it is free sees depth 0 and starts its own hold.
        if self._waiting:
            self._release_contended()
            return
        self._depth -= 1
        try:
            self._inner.release()
        except BaseException:
            self._depth += 1
            raise

    def __exit__(self, _type: object, _value: object, _tb: object) -> None:
        if self._waiting:
            self._release_contended()
            return
        self._depth -= 1
        try:
            self._inner.release()
        except BaseException:
            self._depth += 1
            raise

    def _release_contended(self) -> None:
        self._depth -= 1
        ts, since = _now(), self._since
        try:
            self._inner.release()
        except BaseException:
            self._depth += 1
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


def lock_type_factory(raw_type: type) -> type:
    """3.13+: threading.Lock is the C type; keep isinstance(x, threading.Lock) true for
    both real locks and wrappers, and calling it makes a wrapper."""

    class _LockMeta(type):
        def __instancecheck__(cls, obj: Any) -> bool:
            return isinstance(obj, (raw_type, SyncLock))

        def __subclasscheck__(cls, sub: Any) -> bool:
            return isinstance(sub, type) and issubclass(sub, (raw_type, SyncLock))

        def __call__(cls, *args: Any, **kwargs: Any) -> Any:
            return SyncLock(raw_type(*args, **kwargs), creation_site())

    return _LockMeta(raw_type.__name__, (), {"__module__": raw_type.__module__,
                                            "__qualname__": raw_type.__qualname__,
                                            "__doc__": raw_type.__doc__})
