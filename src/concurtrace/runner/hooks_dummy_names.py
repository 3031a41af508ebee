"""Thread names as without us on 3.12+ in full mode.

VizTracer's sys.monitoring callback asks threading.current_thread() at the first event of
each new thread, inside Thread._bootstrap, before _bootstrap_inner registers the Thread in
threading._active: threading makes a _DummyThread for it, and its name "Dummy-N" takes a
number from the counter the program's own threads are named by. Every thread started
under full mode then moved the next default name on by one more: plain "Thread-3", traced
"Thread-5" (the program prints, logs or compares them). A dummy made there is named after
the Thread being bootstrapped instead, and the counter is left alone; threading replaces
the dummy with that Thread a moment later. Any other dummy is named as without us.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from types import FrameType

from concurtrace.runner.hookset import HookSet

DUMMY_TEMPLATE = "Dummy-%d"


def install_dummy_names(hooks: HookSet) -> None:
    orig: Callable[..., str] | None = getattr(threading, "_newname", None)
    bootstrap = getattr(threading.Thread, "_bootstrap", None)
    code = getattr(bootstrap, "__code__", None)
    if sys.version_info < (3, 12) or orig is None or code is None:
        return  # before 3.12 the profiler starts inside _bootstrap_inner, after it
    original: Callable[..., str] = orig

    def _newname(name_template: str = "Thread-%d") -> str:
        if name_template == DUMMY_TEMPLATE:
            thread = _bootstrapping(code)
            if thread is not None:
                return thread.name
        return original(name_template)

    hooks.patch(threading, "_newname", _newname)


def _bootstrapping(code: object) -> threading.Thread | None:
    """The Thread whose _bootstrap is this thread's bottom frame, a few frames up
    (_newname <- _DummyThread.__init__ <- current_thread <- Thread._bootstrap)."""
    frame: FrameType | None = sys._getframe(2)
    for _ in range(4):
        if frame is None:
            return None
        if frame.f_code is code and frame.f_back is None:
            thread = frame.f_locals.get("self")
            return thread if isinstance(thread, threading.Thread) else None
        frame = frame.f_back
    return None
