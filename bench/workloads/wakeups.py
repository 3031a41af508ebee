"""Benchmark workload: wake-ups outside the GIL functions, on busy cores.

Made to catch false positives of the kernel-stack tell (sampler/kstack.py): a thread
preempted as it returns from a syscall that is *not* a GIL futex. Here threads wake
each other through a queue.Queue (a futex wake on the queue's lock, made while holding
the GIL) and a pipe (write() wakes the reader), next to a pure-Python hog, so the
waker is often preempted at the syscall exit by the thread it woke. About 1 s.

- "producer": queue.put() in a tight loop; "consumer": queue.get().
- "writer": os.write() of 64 bytes in a tight loop; "reader": os.read().
- "hog": pure-Python loop.
"""

import os
import queue
import threading
import time

RUN_S = 1.0
STOP_AT = time.monotonic() + RUN_S
ITEMS: "queue.Queue[int | None]" = queue.Queue()
READ_FD, WRITE_FD = os.pipe()


def spin(n: int) -> None:
    for _ in range(n):
        pass


def producer() -> None:
    i = 0
    while time.monotonic() < STOP_AT:
        ITEMS.put(i)
        i += 1
        spin(200)
    ITEMS.put(None)


def consumer() -> None:
    while ITEMS.get() is not None:
        pass


def writer() -> None:
    while time.monotonic() < STOP_AT:
        os.write(WRITE_FD, b"x" * 64)
        spin(300)
    os.close(WRITE_FD)


def reader() -> None:
    while os.read(READ_FD, 4096):
        pass


def hog() -> None:
    x = 0
    while time.monotonic() < STOP_AT:
        x += 1


def main() -> None:
    roles = (producer, consumer, writer, reader, hog)
    threads = [threading.Thread(target=f, name=f.__name__) for f in roles]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


if __name__ == "__main__":
    main()
