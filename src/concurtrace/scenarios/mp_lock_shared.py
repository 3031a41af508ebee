"""A multiprocessing.Lock shared by three worker processes, each holding it while it sleeps.

What it demonstrates: a lock that serialises processes, not threads. Each worker
takes LEDGER_LOCK, "writes" for 100 ms while holding it, and lets it go; the
others wait in the kernel (a POSIX semaphore) the whole time.

What to look for in the timeline:
- Each worker's "MainThread sync" track: "waiting for mp.Lock@mp_lock_shared.py:39
  (lock), held by MainThread of Process-2" — the holder is in ANOTHER process.
- "holding mp.Lock@... (2 waiting)" on the holder's sync track, and a flow arrow
  from its "released mp.Lock@..." mark to the waiter's "resumed: acquired", across
  processes.
- The lock_contention finding: the workers waited most of their lives.
"""

import multiprocessing
import time
from typing import Any

EXPECT = {
    "exit_code": 0,
    "processes": [
        {"name": "MainProcess", "parent": None, "exit_code": 0},
        {"name_prefix": "Process-", "parent": "MainProcess", "exit_code": 0, "count": 3},
    ],
    "findings": ["lock_contention"],
    "sync_objects": [{"label": "mp.Lock@mp_lock_shared.py:39 (lock)", "min_waits": 3,
              "min_waiting_processes": 2}],
}


def work(lock: Any) -> None:
    for _ in range(2):
        with lock:
            time.sleep(0.1)  # the slow write, done while holding the lock


def main() -> None:
    lock = multiprocessing.Lock()
    workers = [multiprocessing.Process(target=work, args=(lock,)) for _ in range(3)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    print("3 workers wrote the ledger in turn", flush=True)


if __name__ == "__main__":
    main()
