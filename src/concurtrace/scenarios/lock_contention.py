"""Threads queued on one threading.Lock that each holder keeps for a long stretch.

What it demonstrates: a lock held for long stretches serialises the threads
that need it. Four workers each take the lock three times and hold it for
0.1 s (sleeping, to stand for slow I/O done under the lock); the whole run
takes about 4 x 3 x 0.1 = 1.2 s however many cores there are.

What to look for in the timeline:
- MainProcess: "worker-0" .. "worker-3".
- Each worker's state track: "sleeping" while it holds the lock, "waiting for
  lock" (not "waiting for GIL": a blocked acquire releases the GIL) the rest
  of the time, about 3/4 of its life.
- Each worker's "<thread> sync" track: "waiting for Lock@lock_contention.py:39
  (LOCK), held by worker-N", and "holding Lock@... (3 waiting)"; flow arrows
  from each release to the waiter that got the lock.
- The lock_contention finding: "4 threads waited 70% of their lives for
  Lock@lock_contention.py:39 (LOCK) ...; each holder kept it 100 ms on average,
  mostly sleeping".
"""

import threading
import time

EXPECT = {
    "exit_code": 0,
    "processes": [{"name": "MainProcess", "parent": None, "exit_code": 0}],
    "threads": [
        {"process": "MainProcess", "name_prefix": "worker-", "count": 4, "min_s": 0.3,
         "max_s": 2.5},
    ],
    "states": [
        {"process": "MainProcess", "thread_prefix": "worker-", "state": "lock",
         "min_share": 0.3},
    ],
    "gil": [{"process": "MainProcess", "thread_prefix": "worker-", "max_share": 0.2}],
    "findings": ["lock_contention"], "no_findings": ["lock_held_while_blocking"],
}

LOCK = threading.Lock()


def worker(k: int) -> None:
    for rnd in range(3):
        with LOCK:
            print(f"worker-{k}: holding the lock (round {rnd})", flush=True)
            time.sleep(0.1)
        time.sleep(0.005)  # let a queued worker grab the lock before we retry


def main() -> None:
    t0 = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(k,), name=f"worker-{k}") for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print(f"4 workers x 3 rounds x 0.1 s took {time.perf_counter() - t0:.2f} s", flush=True)


if __name__ == "__main__":
    main()
