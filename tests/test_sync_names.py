"""The name a waited-on object gets in its label (runner/hooks_sync_naming.find_name): a
global or local of the waiter's first frames, one attribute of one, or the lock inside a
Condition or Semaphore one holds; each scope searched once (a module frame's locals are
its globals: pool16's workers searched them twice)."""

from __future__ import annotations

import queue
import sys
import threading
from typing import Any

from concurtrace.runner.hooks_sync_naming import find_name


class Box:
    pass


G_LOCK = threading.Lock()
G_BOX = Box()
G_BOX.inner = threading.Lock()  # type: ignore[attr-defined]
G_QUEUE: queue.Queue[int] = queue.Queue()
G_SEM = threading.BoundedSemaphore(2)


def _named(obj: Any) -> str:
    return find_name(obj, sys._getframe(1))


def test_globals_locals_and_their_attributes() -> None:
    local_lock = threading.Lock()
    box = Box()
    box.cond = threading.Condition()  # type: ignore[attr-defined]
    # named outside the asserts: pytest's rewritten asserts keep values in locals of theirs
    names = (_named(local_lock), _named(box.cond), _named(G_LOCK),  # type: ignore[attr-defined]
             _named(G_BOX.inner), _named(G_QUEUE), _named(threading.Lock()))  # type: ignore[attr-defined]
    assert names == ("local_lock", "box.cond", "G_LOCK", "G_BOX.inner", "G_QUEUE", "")


def test_the_lock_inside_a_condition_or_a_semaphore() -> None:
    cond = threading.Condition()
    box = Box()
    box.sem = threading.Semaphore()  # type: ignore[attr-defined]
    names = (_named(G_QUEUE.mutex), _named(G_QUEUE.not_empty),  # shares the mutex
             _named(G_SEM._cond._lock), _named(cond._lock),  # type: ignore[attr-defined]
             _named(box.sem._cond._lock))  # type: ignore[attr-defined]
    assert names == ("G_QUEUE.mutex", "G_QUEUE.not_empty", "G_SEM._cond._lock",
                     "cond._lock", "box.sem._cond._lock")


def test_a_caller_s_locals_and_the_globals_first() -> None:
    event = threading.Event()
    shadow = G_LOCK  # a local and a global name the same lock: the global wins (first scope)

    def waiter() -> tuple[str, str, str]:
        return (_named(event), _named(event._cond._lock), _named(shadow))  # type: ignore[attr-defined]

    names = waiter()
    assert names == ("event", "event._cond._lock", "G_LOCK")


def test_a_module_frame_is_searched_once_with_the_same_answer() -> None:
    code = ("import sys, threading\nlock = threading.Lock()\nsem = threading.Semaphore()\n"
            "names = (find_name(lock, sys._getframe()), find_name(sem._cond._lock, "
            "sys._getframe()), find_name(threading.Lock(), sys._getframe()))\n")
    scope: dict[str, Any] = {"find_name": find_name}
    exec(compile(code, "/tmp/user_module.py", "exec"), scope)  # noqa: S102 - our own text
    assert scope["names"] == ("lock", "sem._cond._lock", "")
