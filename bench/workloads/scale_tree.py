"""Scale workload: CALLS function calls spread over THREADS threads in PROCS processes.

    python scale_tree.py [CALLS=1000000] [THREADS=200] [PROCS=32]

The main process starts PROCS-1 multiprocessing children; every process runs its
share of the threads, every thread its share of the calls (a recursive function
20 deep, so the calls nest like real code). Prints WORK_SECONDS.
"""

import multiprocessing as mp
import sys
import threading
import time


def f(n: int) -> int:
    return n if n < 2 else f(n - 1) + 1


def thread_work(calls: int) -> None:
    for _ in range(calls // 20):
        f(20)


def process_work(threads: int, calls_per_thread: int) -> None:
    workers = [threading.Thread(target=thread_work, args=(calls_per_thread,), name=f"w{i}")
               for i in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()


def main() -> None:
    defaults = ["1000000", "200", "32"]
    calls, threads, procs = (int(a) for a in (sys.argv[1:] + defaults[len(sys.argv) - 1:])[:3])
    per_thread = calls // threads
    shares = [threads // procs + (1 if i < threads % procs else 0) for i in range(procs)]
    began = time.perf_counter()
    children = [mp.Process(target=process_work, args=(share, per_thread), name=f"P{i}")
                for i, share in enumerate(shares[1:], 1)]
    for child in children:
        child.start()
    process_work(shares[0], per_thread)
    for child in children:
        child.join()
    print(f"WORK_SECONDS {time.perf_counter() - began:.4f}")


if __name__ == "__main__":
    main()
