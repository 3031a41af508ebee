"""Benchmark workload: one CPU hog next to threads that block in different ways.

Fixed shape, about 1.3 s. Every thread except "hog" spends most of its life
blocked (sleep, lock, pipe read) and needs the GIL back after each wake-up,
so its true GIL share is small but non-zero (the hog holds the GIL for up to
the 5 ms switch interval): intermediate values, unlike the ~0 / ~50 % of the
shipped scenarios.

- "hog": pure-Python loop for 1.2 s.
- "napper": time.sleep(0.02) in a loop (a slower cousin of the convoy sleeper).
- "locker": blocks on a threading.Lock that MainThread holds for 0.1 s at a time.
- "reader": blocking os.read() on a pipe that "writer" feeds every 10 ms.
- "writer": time.sleep(0.01) + os.write().
"""

import os
import threading
import time

RUN_S = 1.2
LOCK = threading.Lock()
STOP = threading.Event()


def hog() -> None:
    deadline = time.monotonic() + RUN_S
    x = 0
    while time.monotonic() < deadline:
        for i in range(2_000):
            x += i * i


def napper() -> None:
    while not STOP.is_set():
        time.sleep(0.02)


def locker() -> None:
    while not STOP.is_set():
        with LOCK:
            pass
        time.sleep(0.001)


def reader(fd: int) -> None:
    while os.read(fd, 64):
        pass


def writer(fd: int) -> None:
    while not STOP.is_set():
        time.sleep(0.01)
        os.write(fd, b"x")
    os.close(fd)


def main() -> None:
    r, w = os.pipe()
    LOCK.acquire()
    threads = [
        threading.Thread(target=hog, name="hog"),
        threading.Thread(target=napper, name="napper"),
        threading.Thread(target=locker, name="locker"),
        threading.Thread(target=reader, args=(r,), name="reader"),
        threading.Thread(target=writer, args=(w,), name="writer"),
    ]
    for t in threads:
        t.start()
    deadline = time.monotonic() + RUN_S
    while time.monotonic() < deadline:  # MainThread: hold the lock 0.1 s, let go briefly
        time.sleep(0.1)
        LOCK.release()
        time.sleep(0.002)
        LOCK.acquire()
    STOP.set()
    LOCK.release()
    for t in threads:
        t.join()
    os.close(r)
    print("mixed_states done", flush=True)


if __name__ == "__main__":
    main()
