"""Not a stall: the consumer waits on a queue for 3 s while the producer sleeps, then
gets its item; the main thread joins them both."""

import queue
import threading
import time

q: "queue.Queue[int]" = queue.Queue()


def producer() -> None:
    time.sleep(3)
    q.put(1)


threading.Thread(target=producer, name="producer").start()
consumer = threading.Thread(target=q.get, name="consumer")
consumer.start()
print("started", flush=True)
consumer.join()
