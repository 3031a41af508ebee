"""Fire-and-forget tasks: one fails and nobody retrieves its exception; one is still
running when the main coroutine returns.

What it demonstrates: asyncio.create_task() without keeping or awaiting the task.
send_metrics() raises ConnectionError; since no one awaits it, the error only reaches
stderr as "Task exception was never retrieved" when the task is garbage-collected.
heartbeat() never finishes: asyncio.run cancels it when main() returns.

What to look for:
- Findings: `task_exception_unretrieved` (send_metrics, ConnectionError) and
  `task_pending_at_exit` (heartbeat, cancelled by asyncio.run).
- The tracks "task metrics (send_metrics)" (one short step) and
  "task heartbeat (heartbeat)", awaiting asyncio.sleep until asyncio.run cancels it.
"""

import asyncio
import gc

EXPECT = {
    "exit_code": 0,
    "processes": [{"name": "MainProcess", "parent": None, "exit_code": 0}],
    "findings": ["task_exception_unretrieved", "task_pending_at_exit"],
}


async def send_metrics() -> None:
    await asyncio.sleep(0.01)
    raise ConnectionError("metrics server refused the connection")


async def heartbeat() -> None:
    while True:
        await asyncio.sleep(0.05)


async def main() -> None:
    asyncio.create_task(send_metrics(), name="metrics")  # never awaited
    beat = asyncio.create_task(heartbeat(), name="heartbeat")  # never stopped
    await asyncio.sleep(0.2)
    # The failed task sits in a reference cycle (its exception's traceback): a collection,
    # as a long-running program makes sooner or later, logs "never retrieved" to stderr.
    gc.collect()
    print("main done; heartbeat still running:", not beat.done(), flush=True)


if __name__ == "__main__":
    asyncio.run(main())
