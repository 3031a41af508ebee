"""concurrent.futures.ProcessPoolExecutor: map over a pool, and (3.11+) max_tasks_per_child.

What it demonstrates: the executor's worker processes and its helper threads.
A first pool (2 workers, platform default start method: ForkProcess-1 and
ForkProcess-2 on Linux up to 3.13) runs a map(). On Python 3.11+ a second pool
uses max_tasks_per_child=2, so its workers are replaced after two tasks; that
option forbids fork, and with no mp_context Python then picks "spawn"
(SpawnProcess-N workers). Its tasks are submitted one at a time: with a backlog
of queued tasks, max_tasks_per_child can deadlock (CPython gh-115634, present
in 3.11-3.13).

What to look for in the timeline:
- MainProcess -> ForkProcess-1, ForkProcess-2 running map() slices in parallel,
  then (3.11+) at least three SpawnProcess-N workers, each running two tasks and
  exiting, with a slow spawn start-up before each.
- MainProcess's executor management thread (an unnamed "Thread-N") and the
  call queue's "QueueFeederThread" (daemon) sending work to the workers.
- MainThread's "waiting for the result of Future@..." slices, each with an arrow
  from the worker process that ran the call (its result put) to where it resumed.
- A worker's "waiting for an item from mp.Queue@... (ex._call_queue)" for its next
  call, with an arrow from the parent's management thread that put the call.
"""

import concurrent.futures
import multiprocessing
import os
import sys
import time

EXPECT = {
    "exit_code": 0,
    "processes": [
        {"name": "MainProcess", "parent": None, "exit_code": 0},
        {"name_regex": r"(Fork|ForkServer|Spawn)Process-[12]", "count": 2,
         "parent": "MainProcess", "exit_code": 0},
        {"name_prefix": "SpawnProcess-", "min_count": 3, "parent": "MainProcess",
         "start_method": "spawn", "exit_code": 0, "python_min": [3, 11]},
    ],
    "min_processes": 3,
    "threads": [
        {"process": "MainProcess", "name_prefix": "Thread-", "min_count": 1,
         "daemon": False},
        {"process": "MainProcess", "name": "QueueFeederThread", "min_count": 1,
         "daemon": True},
    ],
    # map()'s waits for each result: ended by the worker process that ran the call (its
    # result put), not by the executor's manager thread that completed the future
    "sync": [
        {"label_regex": r"Future@process_pool_executor\.py:\d+.*", "min_waits": 3,
         "outcomes": ["completed"]},
    ],
    "sync_slices": [
        {"name_regex": r"waiting for the result of Future@process_pool_executor\.py:\d+.*",
         "outcome": "completed", "releaser_prefix": "MainThread of ", "min_count": 3},
        {"name_regex": r"resumed: completed",
         "flow_src_regex": r"completed Future@process_pool_executor\.py:\d+.*",
         "min_count": 3},
        # a worker's wait for work on the call queue: ended by the parent's put of the
        # call (the executor's management thread), the arrow crossing from the parent
        {"name_regex": r"waiting for an item from mp\.Queue@process_pool_executor\.py:\d+.*",
         "outcome": "got_item", "releaser_prefix": "Thread-", "min_count": 1},
        {"name_regex": r"resumed: got_item",
         "flow_src_regex": r"put into mp\.Queue@process_pool_executor\.py:\d+.*",
         "min_count": 1},
    ],
}


def cube(x: int) -> int:
    time.sleep(0.02)
    return x**3


def where(x: int) -> str:
    return f"task {x} in {multiprocessing.current_process().name} (pid {os.getpid()})"


def main() -> None:
    with concurrent.futures.ProcessPoolExecutor(max_workers=2) as ex:
        print("map:", list(ex.map(cube, range(8))), flush=True)

    if sys.version_info >= (3, 11):
        with concurrent.futures.ProcessPoolExecutor(max_workers=2, max_tasks_per_child=2) as ex:
            for x in range(6):  # one at a time: see gh-115634 in the docstring
                print(ex.submit(where, x).result(), flush=True)


if __name__ == "__main__":
    main()
