"""Sync hooks for multiprocessing's locks, semaphores, conditions, events and queues.

Every one of them is a SemLock (a POSIX semaphore) or built on some. multiprocessing
sets a SemLock's acquire/release as instance attributes (`_make_methods`, called when it
is made and when it is unpickled in a spawn or forkserver child): the patched
`_make_methods` puts observed ones in their place, closures over the C semaphore (not
over the SemLock, so no reference cycle delays its finalizer). Pickling (`__getstate__`,
its "should only be shared between processes through inheritance" error), `__setstate__`,
the after-fork reset and every result are multiprocessing's own.

An object's identity is the same in every process: its semaphore's name, or for a
fork-context lock (unnamed, and shared with fork children only) its creator's pid and
handle. The holder table (hooks_sync_mp_table) tells a waiter which process and thread
holds a lock, and a releaser in any process that someone waits. The creator of a named
object writes a "sync_object" record (identity, kind, label) so that a spawn child's
waits, which cannot know where the object was made, get its label.
"""

from __future__ import annotations

import os
import sys
import threading
import time
import weakref

from concurtrace.runner.hooks_sync_mp_table import table
from concurtrace.runner.hooks_sync_naming import SKIP_FILES, find_name, settings
from concurtrace.runner.hookset import HookSet, Sink
from concurtrace.runner.own_frames import clean_raise, unlink

TYPE_CHECKING = False  # not typing's: importing typing costs every process that uses mp
if TYPE_CHECKING:
    from typing import Any

_now = time.monotonic_ns
MP_DIR = os.path.dirname(os.path.abspath(threading.__file__)) + os.sep + "multiprocessing"
LOCKS = ("Lock", "RLock")


class SyncInfo:
    """What the hooks know of one SemLock in this process (not pickled: __getstate__)."""

    __slots__ = ("identity", "key", "offset", "kind", "site", "owner", "name", "internal",
                 "lock", "__weakref__")

    def __init__(self, identity: str, kind: str, site: tuple[str, int] | None) -> None:
        self.identity, self.kind, self.site = identity, kind, site
        self.key, self.offset = table.key(identity)
        self.owner: Any = None  # weakref to the object the program waits on, when not this
        self.name: str | None = None
        self.internal = False  # multiprocessing's own bookkeeping semaphore: never recorded
        self.lock = kind in LOCKS

    def label(self, obj: Any, frame: Any) -> str:
        if self.name is None:
            frame = program_frame(frame)
            owner = self.owner() if self.owner is not None else obj
            try:
                self.name = find_name(owner, frame) if owner is not None else ""
            except Exception:  # noqa: BLE001 - a strange object in scope: no name
                self.name = ""
        return label_of(self.kind, self.site) + (f" ({self.name})" if self.name else "")


def program_frame(frame: Any) -> Any:
    """The first frame outside multiprocessing and concurtrace (where names are found)."""
    while frame is not None and (frame.f_code.co_filename == "<string>" or
                                 frame.f_code.co_filename.startswith((MP_DIR, *SKIP_FILES))):
        frame = frame.f_back
    return frame


def full_kind(kind: str) -> str:
    return kind if kind.startswith("mp.") else "mp." + kind


def label_of(kind: str, site: tuple[str, int] | None) -> str:
    base = ".".join(full_kind(kind).split(".")[:2])  # mp.Queue.get: mp.Queue
    where = f"{os.path.basename(site[0])}:{site[1]}" if site else "?"
    return f"{base}@{where}"


def creation_site() -> tuple[str, int] | None:
    """The first frame outside multiprocessing, threading and concurtrace; None when the
    object is made while unpickling (a spawn child: the creator's record names it)."""
    frame: Any = sys._getframe(2)
    while frame is not None:
        name = frame.f_code.co_filename
        if name.startswith(MP_DIR) and frame.f_code.co_name == "__setstate__":
            return None
        if not name.startswith(SKIP_FILES) and not name.startswith(MP_DIR):
            return (name, frame.f_lineno)
        frame = frame.f_back
    return None


def describe(sink: Sink, info: SyncInfo) -> None:
    """The creator's word on a named object, for the processes that unpickle it."""
    if settings.sink is not None and info.site is not None and not info.identity[0].isdigit():
        sink.write({"ev": "sync_object", "ts": _now(), "shared": info.identity,
                    "kind": "internal" if info.internal else full_kind(info.kind),
                    "label": label_of(info.kind, info.site)})


def tag(sink: Sink, semlock_owner: Any, kind: str, owner: Any = None,
        internal: bool = False, unpickled: bool = False) -> None:
    """Say what a SemLock is part of (the wait semaphore of a Condition, an Event ...)."""
    info = getattr(semlock_owner, "_concurtrace_sync", None)
    if info is None:
        return
    info.kind, info.lock, info.internal = kind, kind in LOCKS, internal
    if owner is not None:
        info.owner = weakref.ref(owner)
        info.site = getattr(owner, "_concurtrace_site", info.site)
    if not unpickled:  # the creator's record names it; a child does not know where it was made
        describe(sink, info)


def patch_method(hooks: HookSet, owner: type, name: str, function: Any) -> None:
    """hooks.patch with function named as the method it replaces: a call with the wrong
    arguments raises "SimpleQueue.get() takes 1 positional argument ...", as without us."""
    function.__name__, function.__qualname__ = name, f"{owner.__qualname__}.{name}"
    hooks.patch(owner, name, clean_raise(function))


def _bind(args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[Any, Any] | None:
    """(block, timeout) of a SemLock.acquire call; None for a call C should judge."""
    if len(args) > 2 or (kwargs and not kwargs.keys() <= {"block", "timeout"}) \
            or (args and "block" in kwargs) or (len(args) == 2 and "timeout" in kwargs):
        return None
    return (args[0] if args else kwargs.get("block", True),
            args[1] if len(args) > 1 else kwargs.get("timeout"))


def _plain(block: Any, timeout: Any) -> bool:
    """The usual arguments, which the observed path handles; others go to C as given."""
    return type(block) in (bool, int) and (
        timeout is None or (type(timeout) in (int, float) and 0 < timeout <= 1e9))


def observe(sink: Sink, semlock: Any, info: SyncInfo) -> tuple[Any, Any]:
    c_acquire, c_release = semlock.acquire, semlock.release
    is_mine, count = semlock._is_mine, semlock._count
    recursive, key, offset = info.kind == "RLock", info.key, info.offset
    table.opened()
    native_id, getpid = threading.get_native_id, os.getpid

    def took() -> None:
        if info.lock and (not recursive or count() == 1):
            table.took(key, offset, getpid(), native_id(), _now())

    def acquire(*args: Any, **kwargs: Any) -> bool:
        try:
            if args or kwargs:
                bound = _bind(args, kwargs)
                if bound is None or not _plain(*bound):
                    return bool(c_acquire(*args, **kwargs))  # C raises or judges, as plain
                block, timeout = bound
            else:
                block, timeout = True, None
            if c_acquire(False):
                took()
                return True
            if not block:
                return False
            if settings.sink is None or settings.is_busy() or info.internal:
                got = bool(c_acquire(True, timeout))
                if got:
                    took()
                return got
            return _wait(sink, c_acquire, info, timeout, took, sys._getframe(1))
        except BaseException as error:
            unlink(error)
            raise

    def release(*args: Any, **kwargs: Any) -> None:
        try:
            if args or kwargs:
                c_release(*args, **kwargs)  # C's TypeError, as without us
                return
            waiting, holder, since = table.waiting(key, offset)
            if not waiting or info.internal or settings.sink is None:
                c_release()
                return
            whole = not info.lock or not recursive or (is_mine() and count() == 1)
            ts = _now()
            c_release()
            if whole:
                mine = info.lock and holder == native_id()
                _signal(sink, info, "release", ts, since if mine else None)
        except BaseException as error:
            unlink(error)
            raise

    return acquire, release


def _signal(sink: Sink, info: SyncInfo, op: str, ts: int, since: int | None) -> None:
    record: dict[str, Any] = {"ev": "sync_signal", "ts": ts, "tid": threading.get_native_id(),
                              "obj": id(info), "shared": info.identity, "op": op}
    if since:
        record["since"] = since
    sink.write(record)


def _wait(sink: Sink, c_acquire: Any, info: SyncInfo, timeout: float | None, took: Any,
          frame: Any) -> bool:
    start = _now()
    threshold = settings.threshold_s
    # Counted before the silent try: a release in any process from now on writes a signal
    # (one the model drops if this wait stays under the threshold).
    table.add_waiter(info.key, info.offset, 1)
    try:
        quick = bool(c_acquire(True, threshold if timeout is None else min(threshold, timeout)))
    except BaseException:
        table.add_waiter(info.key, info.offset, -1)
        raise
    if quick or (timeout is not None and timeout <= threshold):
        table.add_waiter(info.key, info.offset, -1)
        if quick:
            took()
        return quick
    rest = None if timeout is None else max(0.0, timeout - (_now() - start) / 1e9)
    holder = table.holder(info.key, info.offset) if info.lock else None
    for _ in range(3 if info.lock and holder is None else 0):
        time.sleep(0.0001)  # a new holder between its acquire and its entry: read again
        holder = table.holder(info.key, info.offset)
        if holder is not None:
            break
    me = threading.get_native_id()
    record: dict[str, Any] = {"ev": "wait_begin", "ts": start, "tid": me, "obj": id(info),
                              "kind": full_kind(info.kind),
                              "label": info.label(None, frame), "shared": info.identity,
                              "stack": settings.stack(frame)}
    if holder is not None:
        record.update(holder=holder[1], holder_pid=holder[0], holder_since=holder[2])
    sink.write(record)
    got, outcome, ended = False, "interrupted", 0
    try:
        got = bool(c_acquire(True, rest))
        outcome = "acquired" if got else "timed_out"
    finally:
        ended = _now()
        table.add_waiter(info.key, info.offset, -1)
        if got:
            took()
        sink.write({"ev": "wait_end", "ts": ended, "tid": me, "obj": id(info),
                    "outcome": outcome if info.lock or not got else _done(info.kind)})
    return got


def _done(kind: str) -> str:
    if kind.endswith("Queue.put"):
        return "put_item"
    if kind.endswith(("Condition", "Event", "Barrier", "join")):
        return "notified"
    return "acquired"


def install_semlock(hooks: HookSet, sink: Sink, module: Any) -> None:
    base = module.SemLock
    orig_make = base._make_methods

    def make_methods(self: Any) -> None:
        orig_make(self)
        semlock = self._semlock
        name = getattr(semlock, "name", None)
        identity = str(name) if name else f"{os.getpid()}:{semlock.handle}"
        kind = type(self).__name__ if type(self).__name__ in (
            "Lock", "RLock", "Semaphore", "BoundedSemaphore") else "Semaphore"
        info = SyncInfo(identity, kind, creation_site())
        info.owner = weakref.ref(self)  # for the name the waiter's code reaches it by
        self.__dict__["_concurtrace_sync"] = info
        self.acquire, self.release = observe(sink, semlock, info)
        if name and info.site is not None:
            describe(sink, info)

    # `with lock:` is the hot path: no clean_raise layer, the same unlink inline.
    def enter(self: Any) -> bool:
        try:
            return bool(self.acquire())
        except BaseException as error:
            unlink(error)
            raise

    def exit_(self: Any, *args: Any) -> None:
        try:
            self.release()
        except BaseException as error:
            unlink(error)
            raise

    patch_method(hooks, base, "_make_methods", make_methods)
    for name, function in (("__enter__", enter), ("__exit__", exit_)):
        function.__name__, function.__qualname__ = name, f"SemLock.{name}"
        hooks.patch(base, name, function)
