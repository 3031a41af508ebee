"""CPU-bound pure-Python threads take turns on the GIL: 2 threads, then 4.

What it demonstrates: threads running pure-Python code do not run in parallel
under the GIL. Each thread does the same fixed amount of work; with 2 threads
the wall time is about 2x one thread's work, with 4 threads about 4x, and each
thread spends most of its life waiting for the GIL.

What to look for in the timeline:
- MainProcess: threads "cpu2-0", "cpu2-1" (first phase), then "cpu4-0" ..
  "cpu4-3" (second phase).
- In each thread's state track, "running" alternates with "waiting for GIL"
  in slices of about 5 ms (sys.getswitchinterval()); roughly 1/2 of the time
  is "waiting for GIL" with 2 threads, 3/4 with 4 threads.
- The "GIL wait (threads)" counter of MainProcess is about 1 in the first
  phase and about 3 in the second; "CPU %" stays near 100 % (one core)
  even on a multi-core machine.
"""

import threading
import time

EXPECT = {
    "exit_code": 0,
    "processes": [{"name": "MainProcess", "parent": None, "exit_code": 0}],
    "threads": [
        {"process": "MainProcess", "name_prefix": "cpu2-", "count": 2, "daemon": False,
         "min_s": 0.1, "max_s": 2.0},
        {"process": "MainProcess", "name_prefix": "cpu4-", "count": 4, "daemon": False,
         "min_s": 0.2, "max_s": 2.5},
    ],
    "gil": [
        {"process": "MainProcess", "thread_prefix": "cpu2-", "min_share": 0.1},
        {"process": "MainProcess", "thread_prefix": "cpu4-", "min_share": 0.25},
    ],
    "findings": ["gil_contention"],
}

WORK = 1_500_000  # loop iterations per thread: about 0.1-0.15 s of one core


def spin(n: int) -> int:
    x = 0
    i = 0
    while i < n:
        x += i * i
        i += 1
    return x


def phase(nthreads: int) -> float:
    threads = [
        threading.Thread(target=spin, args=(WORK,), name=f"cpu{nthreads}-{k}")
        for k in range(nthreads)
    ]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - t0


def main() -> None:
    t0 = time.perf_counter()
    spin(WORK)
    single = time.perf_counter() - t0
    print(f"1 thread : {single:.3f} s", flush=True)
    for n in (2, 4):
        wall = phase(n)
        print(f"{n} threads: {wall:.3f} s ({wall / single:.1f}x one thread's time)", flush=True)


if __name__ == "__main__":
    main()
