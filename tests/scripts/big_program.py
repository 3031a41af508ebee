"""A big program for the summary: a 40-worker ThreadPoolExecutor of CPU-bound tasks
(GIL contention on every worker), 30 sleeping threads, and 5 forked worker processes
with two threads each. Prints the numbers the test checks against the JSON summary."""

import multiprocessing
import threading
import time
from concurrent.futures import ThreadPoolExecutor

WORKERS, SLEEPERS, PROCESSES = 40, 30, 5


def spin(n: int) -> int:
    x = 0
    for i in range(n):
        x += i * i
    return x


def napper() -> None:
    time.sleep(0.3)


def child() -> None:
    helpers = [threading.Thread(target=time.sleep, args=(0.05,)) for _ in range(2)]
    for t in helpers:
        t.start()
    for t in helpers:
        t.join()


if __name__ == "__main__":
    sleepers = [threading.Thread(target=napper) for _ in range(SLEEPERS)]
    for t in sleepers:
        t.start()
    barrier = threading.Barrier(WORKERS)

    def task(n: int) -> int:
        barrier.wait()  # every worker exists and competes for the GIL
        return spin(n)

    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        list(pool.map(task, [300_000] * WORKERS))
    for t in sleepers:
        t.join()
    ctx = multiprocessing.get_context("fork")
    procs = [ctx.Process(target=child) for _ in range(PROCESSES)]
    for p in procs:
        p.start()
    for p in procs:
        p.join()
    print("threads", 1 + WORKERS + SLEEPERS, "processes", PROCESSES, flush=True)
