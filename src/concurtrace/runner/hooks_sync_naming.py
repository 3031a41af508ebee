"""What the sync hooks share: their settings, and how objects get their labels.

A label is the object's kind plus where it was created (the first frame outside
threading, queue and concurtrace) and, found the first time someone waits on it, the
name the waiter's code reaches it by (a global, a local, or one attribute of either).
"""

from __future__ import annotations

import _thread
import itertools
import operator
import os
import sys
import threading
import types
from collections.abc import Callable

from concurtrace.model.units import SYNC_THRESHOLD_NS
from concurtrace.runner.frame_locals import frame_locals

TYPE_CHECKING = False  # not typing's: importing typing costs every traced process
if TYPE_CHECKING:
    from typing import Any

# through the session's link and resolved: a holder caught writing a record is in its code.
_OURS = [os.path.dirname(os.path.abspath(__file__)), os.path.dirname(os.path.realpath(__file__))]
OUR_DIRS = tuple(_OURS)
# concurrent.futures makes the Futures, queues and conditions of the program's submit().
FUTURES_DIR = os.path.join(os.path.dirname(threading.__file__), "concurrent", "futures")
JSON_DIR = os.path.join(os.path.dirname(threading.__file__), "json")  # not imported: costly
# queue is imported (and hooked) only when the program imports it: its file, beside threading's
QUEUE_FILE = os.path.join(os.path.dirname(threading.__file__), "queue.py")
SKIP_FILES = (threading.__file__, QUEUE_FILE, JSON_DIR, FUTURES_DIR,
              *_OURS, *(os.path.join(os.path.dirname(d), "model") for d in _OURS))
STACK_LIMIT = 12
SITE_ATTR = "_concurtrace_site"  # (file, line) on objects of threading's Python classes
KEY_ATTR = "_concurtrace_key"
INITIAL_ATTR = "_concurtrace_initial"  # a Semaphore's value when it was made
# An object's identity in the records: id() is reused by a later object once the first is
# freed, and two such objects made at one line have one label. Never an id (ids are large).
new_key = itertools.count(1).__next__


def object_key(obj: Any) -> int:
    """obj's identity number: given when it is made (the wrappers' slots) or the first
    time it is recorded (setdefault: two threads racing to give one get the same)."""
    try:
        return int(getattr(obj, KEY_ATTR))
    except AttributeError:
        pass
    attrs = getattr(obj, "__dict__", None)
    if isinstance(attrs, dict):
        return int(attrs.setdefault(KEY_ATTR, new_key()))
    return id(obj)


def _apply(function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    return function(*args, **kwargs)


class _Busy(_thread._local):
    on = False  # the default every thread sees (getattr with a default raised inside: ~1 µs)
    via: str | None = None  # a process-pool future's call, while its set_result runs
    future: Any = None  # a Future whose result() runs: its Condition wait is that wait
    # inside a release/put that signals a recorded waiter: its notify is that signal, but
    # a lock wait inside is recorded (the object's, model/sync_inner.py), never hidden
    signalling = False


class _Settings:
    """What the hooks share; sink None means uninstalled (every wrapper passes through)."""

    def __init__(self) -> None:
        self.sink: Any = None
        # How the hooks call an original: through sink.call when VizTracer may run (so it
        # still traces the original), directly in --light (operator.call adds no frame).
        self.call: Callable[..., Any] = getattr(operator, "call", _apply)
        self.threshold_s = SYNC_THRESHOLD_NS / 1e9  # install_sync sets the run's own
        self.busy = _Busy()  # set inside a recorded wait or signal: no nested records

    def is_busy(self) -> bool:
        return bool(self.busy.on)

    def clear(self) -> None:
        self.sink = None
        self.call = getattr(operator, "call", _apply)

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


INTERNAL_FILES = frozenset({threading.__file__, QUEUE_FILE})
# The modules whose objects share_site labels; a fresh copy of one (test.support's
# import_fresh_module, as CPython's test_queue makes) has other globals and is not.
# queue's globals join when the program imports it (hooks_sync.install_queue_module).
SHARING_GLOBALS: list[dict[str, Any]] = [threading.__dict__]
# Where threading and queue keep the locks and conditions their objects are built on.
# (_count: the Semaphore of queue._PySimpleQueue, with a Condition and a Lock inside it)
INNER_ATTRS = ("_lock", "_cond", "mutex", "not_empty", "not_full", "all_tasks_done", "_count")


# What a frame's file is to creation_site, cached by file name (a str keeps its hash): the
# walk is on every Lock(), Condition(), Queue(), Future() the program makes.
_USER, _OURS_FILE, _INTERNAL, _SKIPPED = 0, 1, 2, 3
_file_kinds: dict[str, int] = {}


def _file_kind(filename: str) -> int:
    """filename's kind, found and kept (creation_site looked in _file_kinds first)."""
    kind = _OURS_FILE if filename.startswith(OUR_DIRS) else _INTERNAL \
        if filename in INTERNAL_FILES else _SKIPPED if filename.startswith(SKIP_FILES) \
        else _USER
    _file_kinds[filename] = kind
    return kind


def creation_site() -> tuple[str, int] | None:
    """(file, line) of the first frame outside threading, queue and concurtrace; None for
    an object threading or queue make inside another (it gets its owner's, share_site),
    unless a fresh copy of them makes it (nothing shares its owner's site then)."""
    frame: Any = sys._getframe(2)
    kinds, kind_of = _file_kinds, _file_kind
    while frame is not None:  # our wrappers around the factory (own_frames.clean_raise)
        kind = kinds.get(frame.f_code.co_filename)
        if kind is None:
            kind = kind_of(frame.f_code.co_filename)
        if kind != _OURS_FILE:
            break
        frame = frame.f_back
    else:
        return None
    if kind == _USER:
        return (frame.f_code.co_filename, frame.f_lineno)
    if kind == _INTERNAL:
        globals_ = frame.f_globals
        for shared in SHARING_GLOBALS:
            if globals_ is shared:
                return None
    while frame is not None:
        kind = kinds.get(frame.f_code.co_filename)
        if kind is None:
            kind = kind_of(frame.f_code.co_filename)
        if kind == _USER:
            return (frame.f_code.co_filename, frame.f_lineno)
        frame = frame.f_back
    return ("?", 0)


_OPAQUE = (types.ModuleType, type, types.FunctionType, types.BuiltinFunctionType)
NAME_FRAMES = 3


def share_site(obj: Any, site: tuple[str, int] | None, depth: int = 3) -> None:
    """Give obj's inner locks and conditions (made inside threading/queue) obj's site.
    They are read from obj's __dict__, where threading and queue keep them: no property
    or __getattr__ of a subclass runs."""
    attrs = getattr(obj, "__dict__", None)
    if type(attrs) is not dict:
        return
    for attr in INNER_ATTRS:
        inner = attrs.get(attr)
        if inner is None or inner is obj or getattr(inner, SITE_ATTR, site) is not None:
            continue
        try:
            setattr(inner, SITE_ATTR, site)
        except (AttributeError, TypeError):
            continue
        if depth > 1 and type(getattr(inner, "__dict__", None)) is dict:  # not a lock's
            share_site(inner, site, depth - 1)  # wrapper (slots): a Condition, a Semaphore


def find_name(obj: Any, frame: Any) -> str:
    """Where the waiter's code can reach obj: a global (or a global's attribute) of the
    first user frame, else a local (or a local's attribute) of the first few; "" if not.
    Each scope is searched once (a module frame's locals are its globals), each value's
    __dict__ read once: every fork child that waits searches its inherited frames anew."""
    while frame is not None and frame.f_code.co_filename.startswith(SKIP_FILES):
        frame = frame.f_back
    if frame is None:
        return ""
    scopes = [frame.f_globals]
    for _ in range(NAME_FRAMES):
        if frame is None:
            break
        local = frame_locals(frame)
        if not any(local is seen for seen in scopes):
            scopes.append(local)
        frame = frame.f_back
    found: list[list[tuple[Any, Any]]] = []  # per scope: (name, value's __dict__ or None)
    for scope in scopes:
        items = list(scope.items())
        for name, value in items:
            if value is obj:
                return str(name)
        row = []
        for name, value in items:
            attrs = None if isinstance(value, _OPAQUE) else getattr(value, "__dict__", None)
            if isinstance(attrs, dict):
                for attr, inner in attrs.items():
                    if inner is obj:
                        return f"{name}.{attr}"
                row.append((name, attrs))
        found.append(row)
    for row in found:  # the lock inside a Semaphore or a Condition: q._count._cond._lock
        for name, attrs in row:
            path = _inner_attrs_path(attrs, obj, 3)
            if path:
                return f"{name}.{path}"
            for attr, inner in attrs.items():
                path = _inner_path(inner, obj, 3)
                if path:
                    return f"{name}.{attr}.{path}"
    return ""


def _inner_path(value: Any, obj: Any, depth: int) -> str:
    """The attributes of INNER_ATTRS (read from __dict__: no property or __getattr__ runs)
    that lead from value to obj, at most depth of them; "" if none do."""
    attrs = None if isinstance(value, _OPAQUE) else getattr(value, "__dict__", None)
    if not isinstance(attrs, dict):
        return ""
    return _inner_attrs_path(attrs, obj, depth)


def _inner_attrs_path(attrs: dict[str, Any], obj: Any, depth: int) -> str:
    if attrs.keys().isdisjoint(INNER_ATTRS):  # most objects: none of them (one C call)
        return ""
    for attr in INNER_ATTRS:
        inner = attrs.get(attr)
        if inner is None:
            continue
        if inner is obj:
            return attr
        path = _inner_path(inner, obj, depth - 1) if depth > 1 else ""
        if path:
            return f"{attr}.{path}"
    return ""


def _short_file(path: str) -> str:
    """The file's name; a package's __init__.py with its package (logging/__init__.py)."""
    base = os.path.basename(path)
    if base == "__init__.py":
        return f"{os.path.basename(os.path.dirname(path))}/{base}"
    return base


def cached_name(obj: Any, frame: Any) -> str:
    """find_name's answer the first time someone waits on obj, kept on obj: in its
    __dict__ where it has one (a Manager proxy's attribute reads go to the server), else
    in its slot (the lock wrappers)."""
    store = getattr(obj, "__dict__", None)
    name = store.get("_concurtrace_name") if store is not None else \
        getattr(obj, "_concurtrace_name", None)
    if name is None:
        try:
            name = find_name(obj, frame)
        except Exception:  # noqa: BLE001 - a strange object in scope: no name, never an error
            name = ""
        if store is not None:
            store["_concurtrace_name"] = name
        else:
            try:
                obj._concurtrace_name = name
            except (AttributeError, TypeError):
                pass
    return str(name)


def named_label(obj: Any, kind: str, site: Any, frame: Any) -> str:
    """Kind@file:line, plus the name found the first time someone waits on it (kept)."""
    name = cached_name(obj, frame)
    where = f"{_short_file(site[0])}:{site[1]}" if site else "?"
    return f"{kind}@{where}" + (f" ({name})" if name else "")
