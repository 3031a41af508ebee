"""Queues built on a Semaphore, as programs compose them: a SimpleQueue-like class of the
program's own (the shape of queue._PySimpleQueue) with several consumers blocked in get()
while a producer puts at a slow pace, then queue._PySimpleQueue itself, then many threads
putting and polling get(block=False) at once (their acquires of the Semaphore's inner lock
are handed from thread to thread, each next owner waiting for the GIL)."""

import collections
import queue
import sys
import threading
import time


class SemQueue:
    def __init__(self):
        self._items = collections.deque()
        self._count = threading.Semaphore(0)

    def put(self, item):
        self._items.append(item)
        self._count.release()

    def get(self, block=True, timeout=None):
        if not self._count.acquire(block, timeout):
            raise queue.Empty
        return self._items.popleft()


def consume(q, out):
    while True:
        item = q.get()
        if item is None:
            return
        out.append(item)


def produce(q, consumers, items, pause):
    for i in range(items):
        q.put(i)
        time.sleep(pause)
    for _ in range(consumers):
        q.put(None)


def blocked_consumers(q, consumers=4, items=40, pause=0.005):
    out = []
    threads = [threading.Thread(target=consume, args=(q, out)) for _ in range(consumers)]
    for thread in threads:
        thread.start()
    produce(q, consumers, items, pause)
    for thread in threads:
        thread.join()
    return len(out)


def poll(q, out, stop):
    while not stop.is_set():
        try:
            out.append(q.get(block=False))
        except queue.Empty:
            time.sleep(1e-5)


def feed(q, items):
    for i in range(items):
        q.put(i)


def storm(q, threads=12, items=3000):
    out, stop = [], threading.Event()
    pollers = [threading.Thread(target=poll, args=(q, out, stop)) for _ in range(threads)]
    feeders = [threading.Thread(target=feed, args=(q, items)) for _ in range(threads)]
    for thread in pollers + feeders:
        thread.start()
    for thread in feeders:
        thread.join()
    while len(out) < threads * items:
        time.sleep(0.01)
    stop.set()
    for thread in pollers:
        thread.join()
    return len(out)


sys.setswitchinterval(0.001)  # more hand-overs of the GIL inside the storm
own = SemQueue()
print(blocked_consumers(own))
pure = queue._PySimpleQueue()
print(blocked_consumers(pure))
print(storm(SemQueue()))
