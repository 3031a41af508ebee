"""Errors raised by the synchronization objects concurtrace observes, caught and printed."""

import concurrent.futures
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
    lambda: threading.Barrier(2).wait(0.05),  # BrokenBarrierError after a recorded wait
    lambda: threading.Barrier(1, action=lambda: 1 / 0).wait(),  # the action's error
    lambda: queue.SimpleQueue().get(timeout=0.05),  # queue.Empty after a recorded wait
    lambda: queue.SimpleQueue().get(False),  # queue.Empty at once
    lambda: queue.SimpleQueue().get(timeout=-1),  # ValueError
    lambda: queue.SimpleQueue(1),  # TypeError: takes no arguments
    lambda: queue.SimpleQueue().put(),  # TypeError: missing item
    lambda: POOL.submit(lambda: 1 / 0).result(),  # the job's error, with its traceback
    lambda: POOL.submit(threading.Event().wait, 0.3).result(timeout=0.05),  # TimeoutError
    lambda: concurrent.futures.wait([POOL.submit(int)], return_when="x"),  # ValueError
]
POOL = concurrent.futures.ThreadPoolExecutor(1)
for call in CALLS:
    try:
        call()
    except Exception:
        traceback.print_exc()
