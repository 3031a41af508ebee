"""asyncio handing work off: asyncio.to_thread and a ProcessPoolExecutor via run_in_executor.

What it demonstrates: coroutines that must not block the loop push a blocking call
(a file read standing in for a slow driver) to the default thread pool with
asyncio.to_thread, and CPU-bound work (a checksum) to worker processes with
loop.run_in_executor(pool, ...). Meanwhile a heartbeat task keeps ticking: the loop stays free.

What to look for:
- Each task's track: "awaiting to_thread" / "awaiting run_in_executor" while the work
  runs elsewhere; the heartbeat's steps keep coming (no "loop blocked").
- The worker threads' "executor calls" tracks ("to_thread: slow_read"), with arrows from
  the task's step that submitted the call to it, and from it to the step where the task
  resumed; a process pool's call has an arrow from the submit to the resuming step.
- Two pool worker processes running checksum().
"""

import asyncio
import concurrent.futures
import time

EXPECT = {
    "exit_code": 0,
    "processes": [
        {"name": "MainProcess", "parent": None, "exit_code": 0},
        {"name_regex": r"(Fork|Spawn|ForkServer)Process-\d+", "count": 2,
         "parent": "MainProcess", "exit_code": 0},
    ],
    "threads": [{"process": "MainProcess", "name_prefix": "asyncio_", "min_count": 1}],
    "no_findings": ["event_loop_blocked", "task_exception_unretrieved"],
    "asyncio": {"min_tasks": 6, "awaits": ["to_thread", "run_in_executor", "asyncio.sleep"],
                "outcomes": {"result": 6}},
}


def slow_read(n: int) -> bytes:
    time.sleep(0.1)  # a blocking driver call
    return bytes(range(256)) * (n + 1)


def checksum(data: bytes) -> int:
    total = 0
    for _ in range(40):
        total = (total + sum(data)) % 65521
    return total


async def handle(n: int, pool: concurrent.futures.ProcessPoolExecutor) -> int:
    data = await asyncio.to_thread(slow_read, n)
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(pool, checksum, data)


async def heartbeat(stop: asyncio.Event) -> int:
    beats = 0
    while not stop.is_set():
        await asyncio.sleep(0.02)
        beats += 1
    return beats


async def main() -> None:
    stop = asyncio.Event()
    beat = asyncio.create_task(heartbeat(stop), name="heartbeat")
    with concurrent.futures.ProcessPoolExecutor(max_workers=2) as pool:
        sums = await asyncio.gather(*(handle(n, pool) for n in range(4)))
    stop.set()
    print(f"checksums {sums}, heartbeat ran {await beat > 0}")


if __name__ == "__main__":
    asyncio.run(main())
