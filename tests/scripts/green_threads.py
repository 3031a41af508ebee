"""threading.Thread under gevent's monkey patching runs as a greenlet on the thread that
starts it: no OS thread is made. Its name must not become the main thread's."""
from gevent import monkey

monkey.patch_all()

import queue  # noqa: E402 - after the patch, as gevent asks
import threading  # noqa: E402
import time  # noqa: E402

items: queue.Queue[int | None] = queue.Queue()
seen: list[int] = []


def produce() -> None:
    for i in range(5):
        items.put(i)
        time.sleep(0.01)
    items.put(None)


def consume() -> None:
    while (item := items.get()) is not None:
        seen.append(item)


green = [threading.Thread(target=produce, name="producer"),
         threading.Thread(target=consume, name="consumer")]
for thread in green:
    thread.start()
for thread in green:
    thread.join()
print(sum(seen), threading.current_thread().name)
