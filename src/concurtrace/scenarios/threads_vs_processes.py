"""The same CPU work in 2 threads, then in 2 processes: only processes use 2 cores.

What it demonstrates: pure-Python CPU work does not speed up with threads (the
GIL serialises them) but does with processes (each has its own interpreter and
GIL). Both wall times are printed; on a 2-core machine the process version
takes about half as long.

What to look for in the timeline:
- MainProcess: threads "thread-0", "thread-1" taking turns ("running" /
  "waiting for GIL"), then child processes "proc-0" and "proc-1" whose
  MainThreads are "running" side by side, while MainProcess is "waiting for
  child" in join().
- MainProcess's "CPU %" counter stays near 100 % in the thread phase; the two
  children's add up to ~200 % in the process phase.
"""

import multiprocessing
import threading
import time

EXPECT = {
    "exit_code": 0,
    "processes": [
        {"name": "MainProcess", "parent": None, "exit_code": 0},
        {"name": "proc-0", "parent": "MainProcess", "daemon": False, "exit_code": 0},
        {"name": "proc-1", "parent": "MainProcess", "daemon": False, "exit_code": 0},
    ],
    "threads": [
        {"process": "MainProcess", "name_prefix": "thread-", "count": 2, "min_s": 0.1,
         "max_s": 2.0},
        {"process": "proc-0", "name": "MainThread", "min_s": 0.1, "max_s": 2.0},
    ],
    "gil": [
        {"process": "MainProcess", "thread_prefix": "thread-", "min_share": 0.1},
        {"process": "proc-0", "thread": "MainThread", "max_share": 0.15},
        {"process": "proc-1", "thread": "MainThread", "max_share": 0.15},
    ],
}

WORK = 1_800_000  # loop iterations per worker: about 0.15 s of one core


def spin(n: int) -> int:
    x = 0
    i = 0
    while i < n:
        x += i * i
        i += 1
    return x


def main() -> None:
    t0 = time.perf_counter()
    threads = [threading.Thread(target=spin, args=(WORK,), name=f"thread-{k}") for k in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    t_threads = time.perf_counter() - t0

    t0 = time.perf_counter()
    procs = [
        multiprocessing.Process(target=spin, args=(WORK,), name=f"proc-{k}") for k in range(2)
    ]
    for p in procs:
        p.start()
    for p in procs:
        p.join()
    t_procs = time.perf_counter() - t0

    print(f"2 threads  : {t_threads:.3f} s", flush=True)
    print(f"2 processes: {t_procs:.3f} s ({t_threads / t_procs:.1f}x faster)", flush=True)


if __name__ == "__main__":
    main()
