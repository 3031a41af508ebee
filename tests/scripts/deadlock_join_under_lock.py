"""The main thread joins a worker while holding the lock the worker needs: a cycle of a
join and a lock acquire (tests/test_live_deadlock.py)."""

import threading
import time

lock = threading.Lock()


def worker() -> None:
    time.sleep(0.1)
    with lock:
        print("never")


t = threading.Thread(target=worker, name="worker")
with lock:
    t.start()
    print("started", flush=True)
    t.join()
