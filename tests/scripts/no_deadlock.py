"""Waits that are not deadlocks, stopped by --timeout in the middle: a consumer on an
empty queue whose producer sleeps, and a thread waiting for a lock whose holder sleeps."""

import queue
import threading
import time

JOBS: "queue.Queue[int]" = queue.Queue()
BUSY = threading.Lock()


def producer() -> None:
    time.sleep(30)  # alive and sleeping: it would put later
    JOBS.put(1)


def consumer() -> None:
    JOBS.get()


def holder() -> None:
    with BUSY:
        time.sleep(30)


def waiter() -> None:
    time.sleep(0.1)
    with BUSY:
        pass


threads = [threading.Thread(target=f, name=f.__name__)
           for f in (producer, consumer, holder, waiter)]
for t in threads:
    t.start()
for t in threads:
    t.join()
