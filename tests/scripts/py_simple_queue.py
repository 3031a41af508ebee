"""queue's pure-Python SimpleQueue (queue._PySimpleQueue, and queue.SimpleQueue itself where
_queue is missing) as CPython's test_queue runs it: from a fresh copy of queue without its
C accelerator, made the way test.support's import_fresh_module does (in --light this is the
program's first import of queue, the one concurtrace hooks), and from queue itself."""

import importlib
import sys
import threading
import time

saved = sys.modules.pop("queue", None)
sys.modules["_queue"] = None  # type: ignore[assignment]
py_queue = importlib.import_module("queue")
del sys.modules["_queue"]
if saved is not None:
    sys.modules["queue"] = saved
else:
    del sys.modules["queue"]
import queue  # noqa: E402


def take(simple: queue._PySimpleQueue) -> None:
    simple.get()


def give(simple: queue._PySimpleQueue) -> None:
    simple.put(2)


for module in (py_queue, queue):
    simple = module._PySimpleQueue()
    taker = threading.Thread(target=take, args=(simple,))
    taker.start()
    time.sleep(0.05)  # it waits on the queue's Semaphore
    simple.put(1)
    taker.join()
    with simple._count._cond:  # its lock, busy: a put waits for it
        giver = threading.Thread(target=give, args=(simple,))
        giver.start()
        time.sleep(0.05)
    giver.join()
    print(module is queue, simple.get())
