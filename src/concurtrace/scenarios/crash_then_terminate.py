"""A crash then terminate: a pool worker segfaults, and the pool terminate()s its workers.

What it demonstrates: when a ProcessPoolExecutor worker dies abruptly (here a real
segfault: ctypes.string_at(0) reads address 0), the pool is broken: every pending
future fails with BrokenProcessPool and the executor calls terminate() on all its
workers, the dead one included. The crash is still a crash: a death is credited to
a sender only when the signal it sent is the one the process died of and the send
came before the death, so the crashed worker shows SIGSEGV and no sender, while the
healthy worker, still busy, is the one terminate() actually ended (SIGTERM).

What to look for in the timeline:
- One worker (ForkProcess-N on Linux up to 3.13) ending "crashed with SIGSEGV",
  with no arrow into it.
- The other worker "terminated by SIGTERM: terminate() from MainProcess", with an
  arrow from the executor's management thread ("Thread-N") in MainProcess.
- MainProcess catches BrokenProcessPool and exits 0.
"""

import concurrent.futures
import ctypes
import os
import time
from concurrent.futures.process import BrokenProcessPool

EXPECT = {
    "exit_code": 0,
    "processes": [
        {"name": "MainProcess", "parent": None, "exit_code": 0},
        {"name_regex": r"(Fork|ForkServer|Spawn)Process-\d+", "count": 1,
         "parent": "MainProcess", "signal": "SIGSEGV", "terminated_by": None},
        {"name_regex": r"(Fork|ForkServer|Spawn)Process-\d+", "count": 1,
         "parent": "MainProcess", "signal": "SIGTERM", "terminated_by": "terminate"},
    ],
    "findings": ["nonzero_exit"],
}


def segfault() -> None:
    print(f"worker {os.getpid()}: reading address 0", flush=True)
    ctypes.string_at(0)


def busy() -> str:
    time.sleep(10)  # still working when the pool breaks
    return "done"


def main() -> None:
    with concurrent.futures.ProcessPoolExecutor(max_workers=2) as pool:
        slow = pool.submit(busy)
        time.sleep(0.5)  # both workers are up and the slow task is running
        crash = pool.submit(segfault)
        for future in (crash, slow):
            try:
                future.result()
            except BrokenProcessPool as error:
                print(f"MainProcess: {type(error).__name__}: {error}", flush=True)


if __name__ == "__main__":
    main()
