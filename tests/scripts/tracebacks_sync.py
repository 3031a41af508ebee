"""Errors raised by the synchronization objects concurtrace observes, caught and printed."""

import queue
import threading
import traceback

lock = threading.Lock()
full = queue.Queue(1)
full.put(1)
CALLS = [
    lambda: lock.acquire(timeout=-5),  # ValueError from the C lock
    lambda: lock.acquire(False, 3),
    lambda: threading.Lock().release(),  # RuntimeError: release unlocked lock
    lambda: threading.RLock().release(),
    lambda: threading.Semaphore(-1),  # ValueError from __init__
    lambda: threading.BoundedSemaphore(1).release(),  # ValueError: released too many times
    lambda: threading.Condition().wait(0.01),  # RuntimeError: cannot wait on un-acquired lock
    lambda: threading.current_thread().join(),  # RuntimeError: cannot join current thread
    lambda: queue.Queue().get(False),  # queue.Empty
    lambda: full.put(2, timeout=0.05),  # queue.Full after a real (recorded) wait
    lambda: threading.Event().wait("x"),  # TypeError
]
for call in CALLS:
    try:
        call()
    except Exception:
        traceback.print_exc()
