"""asyncio with threads and processes: to_thread plus a ProcessPoolExecutor via run_in_executor.

What it demonstrates: one event loop (on MainThread) awaiting three kinds of
work at once: coroutines (asyncio.sleep), blocking calls pushed to the
default thread pool with asyncio.to_thread, and CPU-bound calls sent to worker
processes with loop.run_in_executor(process_pool, ...).

What to look for in the timeline:
- MainProcess's MainThread: the event loop, mostly "I/O" (waiting in
  epoll/select) between short callbacks.
- "asyncio_0"/"asyncio_1": the blocking calls, "sleeping".
- MainProcess -> two pool worker processes (ForkProcess-1 and ForkProcess-2
  on Linux up to 3.13) "running" the CPU work in parallel, plus the
  executor's management thread in MainProcess.
"""

import asyncio
import concurrent.futures
import os
import time

EXPECT = {
    "exit_code": 0,
    "processes": [
        {"name": "MainProcess", "parent": None, "exit_code": 0},
        {"name_regex": r"(Fork|Spawn|ForkServer)Process-\d+", "count": 2,
         "parent": "MainProcess", "exit_code": 0},
    ],
    "threads": [
        {"process": "MainProcess", "name_prefix": "asyncio_", "min_count": 1},
        {"process": "MainProcess", "name": "MainThread", "min_s": 0.2, "max_s": 2.5},
    ],
}


def blocking_io(label: str) -> str:
    time.sleep(0.2)
    return f"{label} done"


def cpu_work(n: int) -> str:
    x = 0
    for i in range(n):
        x += i * i
    return f"cpu_work({n}) in pid {os.getpid()}"


async def main() -> None:
    loop = asyncio.get_running_loop()
    with concurrent.futures.ProcessPoolExecutor(max_workers=2) as procs:
        # Submit process work first: with fork, the pool forks its workers now,
        # before the default thread pool exists (forking a threaded process is unsafe).
        cpu = [loop.run_in_executor(procs, cpu_work, 1_500_000) for _ in range(2)]
        results = await asyncio.gather(
            *cpu,
            asyncio.to_thread(blocking_io, "to_thread A"),
            asyncio.to_thread(blocking_io, "to_thread B"),
            asyncio.sleep(0.1, result="asyncio.sleep done"),
        )
    for r in results:
        print(r, flush=True)


if __name__ == "__main__":
    asyncio.run(main())
