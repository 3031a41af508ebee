"""multiprocessing.Pool: map, imap and apply_async, with workers replaced every 2 tasks.

What it demonstrates: a Pool's worker processes and their turnover. With
maxtasksperchild=2 each worker exits after two tasks and the pool's handler
thread starts a replacement, so 10 tasks on a 2-worker pool go through at
least 5 worker processes. close() + join() lets the last workers exit cleanly
(a `with Pool() as pool:` block would call terminate() and SIGTERM them).

What to look for in the timeline:
- MainProcess -> a succession of ForkPoolWorker-N processes (the prefix
  follows the start method: ForkServerPoolWorker / SpawnPoolWorker elsewhere),
  at most 2 alive at a time, each with two task slices then a clean exit.
- MainProcess's pool threads (worker handler, task handler, result handler)
  shuttling tasks and results.
"""

import multiprocessing
import os
import time

EXPECT = {
    "exit_code": 0,
    "processes": [
        {"name": "MainProcess", "parent": None, "exit_code": 0},
        {"name_regex": r"(Fork|Spawn|ForkServer)PoolWorker-\d+", "min_count": 5,
         "parent": "MainProcess", "daemon": True, "exit_code": 0, "signal": None},
    ],
    "min_processes": 6,
}


def square(x: int) -> int:
    time.sleep(0.03)
    return x * x


def whoami(x: int) -> str:
    time.sleep(0.03)
    return f"task {x} ran in {multiprocessing.current_process().name} (pid {os.getpid()})"


def main() -> None:
    pool = multiprocessing.Pool(processes=2, maxtasksperchild=2)
    try:
        print("map :", pool.map(square, range(4), chunksize=1), flush=True)
        print("imap:", list(pool.imap(square, range(4, 8), chunksize=1)), flush=True)
        pending = [pool.apply_async(whoami, (x,)) for x in range(8, 10)]
        for r in pending:
            print("apply_async:", r.get(timeout=30), flush=True)
    finally:
        pool.close()
        pool.join()


if __name__ == "__main__":
    main()
