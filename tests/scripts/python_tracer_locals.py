"""A trace function written in Python (pdb, coverage's PyTracer) that waits for a contended
lock: the wait's hook reads the traced frame's locals to name the lock. CPython writes that
frame's snapshot back after each trace call, so a snapshot the hook emptied (to keep no
local alive, runner/frame_locals.py) would unbind x: `y = x + 1` raised UnboundLocalError."""

import sys
import threading
import time
from types import FrameType
from typing import Any

lock = threading.Lock()


def tracer(frame: FrameType, event: str, arg: Any) -> Any:
    if event == "line" and frame.f_code.co_name == "work" and frame.f_lineno == WAIT_LINE:
        with lock:  # contended: the hook walks up into work()'s frame
            pass
    return tracer


def holder() -> None:
    with lock:
        time.sleep(0.05)


def work() -> None:
    x = 41
    threading.Thread(target=holder).start()
    time.sleep(0.01)
    y = x + 1
    print(y)


WAIT_LINE = work.__code__.co_firstlineno + 4  # y = x + 1
sys.settrace(tracer)
work()
