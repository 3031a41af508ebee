"""multiprocessing.Manager: a server process holding shared objects for two children.

What it demonstrates: Manager() starts a separate server process
(SyncManager-1) that owns the shared dict and list; the children and the
parent only hold proxies and talk to it over a socket, one request per
operation.

What to look for in the timeline:
- The tree: MainProcess -> SyncManager-1 (the server), Process-2 and Process-3
  (the workers); the manager's name takes the first Process number.
- SyncManager-1 has one thread per connected client serving requests, mostly
  in "I/O"; the workers' proxy calls appear as short "I/O" waits.
- SyncManager-1 exits when the `with` block ends (shutdown).
"""

import multiprocessing
import time
from typing import Any

EXPECT = {
    "exit_code": 0,
    "processes": [
        {"name": "MainProcess", "parent": None, "exit_code": 0},
        {"name": "SyncManager-1", "parent": "MainProcess", "daemon": False},
        {"name": "Process-2", "parent": "MainProcess", "exit_code": 0},
        {"name": "Process-3", "parent": "MainProcess", "exit_code": 0},
    ],
    "min_processes": 4,
}


def work(k: int, results: Any, log: Any) -> None:
    for i in range(5):
        results[f"{k}-{i}"] = k * 10 + i
        log.append(f"worker {k} step {i}")
        time.sleep(0.02)


def main() -> None:
    with multiprocessing.Manager() as manager:
        results = manager.dict()
        log = manager.list()
        workers = [multiprocessing.Process(target=work, args=(k, results, log)) for k in (1, 2)]
        for w in workers:
            w.start()
        for w in workers:
            w.join()
        print(f"{len(results)} results, {len(log)} log lines via the manager", flush=True)


if __name__ == "__main__":
    main()
