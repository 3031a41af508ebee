"""An object freed by `del` while another thread waits for a lock that a method of it took:
the wait's hook read the holder's frame for its stack and kept that frame, so the object
(its `self`) lived on until the waiter got the lock, and was freed there, in the waiter
(ProcessPoolExecutor's manager thread freed the executor so, and its weakref callback
deadlocked on the shutdown lock: CPython 3.10's test_concurrent_futures)."""

import threading
import time
import weakref

lock = threading.Lock()
taken = threading.Event()


class Owner:
    def take(self) -> None:
        lock.acquire()
        taken.set()
        time.sleep(0.2)  # the waiter blocks meanwhile; its hook reads this frame


def report() -> None:
    print("freed in", threading.current_thread().name, flush=True)


def waiter() -> None:
    taken.wait()
    with lock:
        pass


worker = threading.Thread(target=waiter, name="waiter")
worker.start()
owner = Owner()
weakref.finalize(owner, report)
owner.take()  # returns with the lock held
del owner
print("deleted", flush=True)
lock.release()
worker.join()
