"""Three processes update one Manager dict under one Manager Lock.

What it demonstrates: every operation on a Manager proxy is a round trip to the
manager's server process (SyncManager-1). The workers take the shared lock (a
proxy of a threading.Lock living in the server), read-modify-write the dict
slowly while holding it, and release it: the others wait for the lock the
whole time, through the server.

What to look for in the timeline:
- Each worker's "MainThread sync" track: "waiting for Manager Lock@
  manager_dict_contention.py:46 (lock), held by MainThread of Process-3" —
  the holder is another worker process; the args name the server process.
- The flow arrow from the holder's "released Manager Lock@..." to the waiter's
  "resumed: acquired", across processes.
- Slow dict calls show as waits on "Manager dict@manager_dict_contention.py:45".
"""

import multiprocessing
import time
from typing import Any

EXPECT = {
    "exit_code": 0,
    "processes": [
        {"name": "MainProcess", "parent": None, "exit_code": 0},
        {"name": "SyncManager-1", "parent": "MainProcess"},
        {"name_prefix": "Process-", "parent": "MainProcess", "exit_code": 0, "count": 3},
    ],
    "findings": ["lock_contention"],
    "sync_objects": [{"label": "Manager Lock@manager_dict_contention.py:46 (lock)",
                      "min_waits": 3, "min_waiting_processes": 2}],
}


def work(k: int, totals: Any, lock: Any) -> None:
    for _ in range(3):
        with lock:
            value = totals.get("sum", 0)
            time.sleep(0.05)  # a slow update, made while holding the lock
            totals["sum"] = value + k


def main() -> None:
    with multiprocessing.Manager() as manager:
        totals = manager.dict()
        lock = manager.Lock()
        workers = [multiprocessing.Process(target=work, args=(k, totals, lock))
                   for k in (1, 2, 3)]
        for w in workers:
            w.start()
        for w in workers:
            w.join()
        print(f"sum {totals['sum']} (expected 18)", flush=True)


if __name__ == "__main__":
    main()
