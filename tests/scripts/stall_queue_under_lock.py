"""The consumer waits on the queue while holding the lock the producer needs to put:
no cycle of lock edges (a queue wait has no holder), yet no thread can run again."""

import queue
import threading
import time

q: "queue.Queue[int]" = queue.Queue()
lock = threading.Lock()


def consumer() -> None:
    with lock:
        q.get()


def producer() -> None:
    time.sleep(0.1)
    with lock:
        q.put(1)


c = threading.Thread(target=consumer, name="consumer")
c.start()
time.sleep(0.05)
p = threading.Thread(target=producer, name="producer")
p.start()
print("started", flush=True)
c.join()
p.join()
