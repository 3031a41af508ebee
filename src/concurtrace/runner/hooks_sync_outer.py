"""The outermost object a lock wait happened inside: the Semaphore, Condition, Event,
Barrier or queue whose own method (threading's or queue's code) took its inner lock.

A program calls q.put() or sem.release(); the wait for q._count._cond._lock inside is
that call's. Read only on the slow path, once a lock wait is recorded (after the
threshold): a walk over the frames between the lock and the program.
"""

from __future__ import annotations

import threading

from concurtrace.runner.frame_locals import frame_local
from concurtrace.runner.hooks_sync_naming import (
    INTERNAL_FILES,
    OUR_DIRS,
    QUEUE_FILE,
    SITE_ATTR,
    named_label,
    object_key,
)

TYPE_CHECKING = False  # not typing's: importing typing costs every traced process
if TYPE_CHECKING:
    from typing import Any

_THREADING_KINDS = ((threading.BoundedSemaphore, "BoundedSemaphore"),
                    (threading.Semaphore, "Semaphore"), (threading.Condition, "Condition"),
                    (threading.Event, "Event"), (threading.Barrier, "Barrier"))


def _kind(obj: Any) -> str | None:
    for cls, kind in _THREADING_KINDS:
        if isinstance(obj, cls):
            return kind
    # queue's classes, from any copy of queue (CPython's test_queue makes fresh ones, under
    # another name too: a spec executed by hand), known by the file their code is in
    for base in type(obj).__mro__:
        code = getattr(vars(base).get("__init__"), "__code__", None)
        if base.__module__ == "queue" or getattr(code, "co_filename", None) == QUEUE_FILE:
            if base.__name__ in ("_PySimpleQueue", "SimpleQueue"):
                return "SimpleQueue"
            if base.__name__ == "Queue":
                return "Queue"
    return None


def outer_call(lock: Any, frame: Any) -> dict[str, Any]:
    """{"outer", "outer_kind", "outer_call", "outer_label"} of the outermost object whose
    threading/queue method holds frame (the lock wrapper's caller), or {} if none."""
    found: tuple[Any, str, str, Any] | None = None
    while frame is not None:
        code = frame.f_code
        if code.co_filename.startswith(OUR_DIRS):  # the hooks around those methods
            frame = frame.f_back
            continue
        if code.co_filename not in INTERNAL_FILES:
            break
        owner = frame_local(frame, "self")
        if owner is not None and owner is not lock:
            kind = _kind(owner)
            if kind is not None:
                found = (owner, kind, code.co_name, frame.f_back)
        frame = frame.f_back
    if found is None:
        return {}
    owner, kind, call, caller = found
    # An object of a copy of queue that concurtrace did not hook (CPython's test_queue
    # imports fresh ones) has no site; its lock, made in its __init__, has the program's.
    site = getattr(owner, SITE_ATTR, None) or getattr(lock, SITE_ATTR, None)
    return {"outer": object_key(owner), "outer_kind": kind, "outer_call": call,
            "outer_label": named_label(owner, kind, site, caller)}


def unhooked_queue(frame: Any) -> tuple[Any, str] | None:
    """(queue, "get" | "put") when frame (the Condition hook's caller) is the get or put of
    a queue.Queue from a copy of queue that concurtrace did not hook (test.support's
    import_fresh_module, a spec executed by hand): its Condition's wait and notify are
    that queue's (a hooked get/put is busy around them, so never reaches here)."""
    while frame is not None and frame.f_code.co_filename.startswith(OUR_DIRS):
        frame = frame.f_back
    if frame is None or frame.f_code.co_filename != QUEUE_FILE \
            or frame.f_code.co_name not in ("get", "put"):
        return None
    owner = frame_local(frame, "self")
    return (owner, frame.f_code.co_name) if _kind(owner) == "Queue" else None
