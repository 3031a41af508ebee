"""asyncio cancellation and timeouts: wait_for, asyncio.timeout (3.11+), task.cancel().

What it demonstrates: a slow "fetch" (0.5 s) run under asyncio.wait_for(timeout=0.05),
then under `async with asyncio.timeout(0.05)` (on 3.11+; wait_for again before), both
cancelled by the deadline and seen by the caller as TimeoutError; then a worker task
cancelled explicitly with task.cancel() while it awaits an asyncio.Event, which cleans up
(its `finally`) and re-raises CancelledError.

What to look for:
- Task tracks of the fetch tasks: "running", then "awaiting asyncio.sleep" cut short by
  the cancellation; the summary counts them as "cancelled".
- The worker's track ends in its cleanup step after main's cancel().
- No "task exception never retrieved": cancelled is not failed.
"""

import asyncio
import sys

EXPECT = {
    "exit_code": 0,
    "processes": [{"name": "MainProcess", "parent": None, "exit_code": 0}],
    "no_findings": ["event_loop_blocked", "task_exception_unretrieved", "task_pending_at_exit"],
    "asyncio": {"min_tasks": 4, "awaits": ["asyncio.sleep", "Event.wait"],
                "outcomes": {"cancelled": 3, "result": 1}},
}


async def fetch(what: str) -> str:
    await asyncio.sleep(0.5)  # a slow server
    return what


async def worker(go: asyncio.Event) -> None:
    try:
        await go.wait()  # never set: main cancels it
    finally:
        await asyncio.sleep(0.01)  # cleanup still awaits


async def with_timeout() -> str:
    if sys.version_info >= (3, 11):
        async with asyncio.timeout(0.05):
            return await asyncio.create_task(fetch("b"), name="fetch-timeout")
    return await asyncio.wait_for(asyncio.create_task(fetch("b"), name="fetch-timeout"), 0.05)


async def main() -> None:
    outcomes = []
    try:
        await asyncio.wait_for(asyncio.create_task(fetch("a"), name="fetch-wait_for"), 0.05)
    except asyncio.TimeoutError:
        outcomes.append("wait_for timed out")
    try:
        await with_timeout()
    except asyncio.TimeoutError:
        outcomes.append("timeout timed out")
    task = asyncio.create_task(worker(asyncio.Event()), name="worker")
    await asyncio.sleep(0.02)
    task.cancel()
    try:
        await task
    except asyncio.CancelledError:
        outcomes.append(f"worker cancelled: {task.cancelled()}")
    print("; ".join(outcomes))


if __name__ == "__main__":
    asyncio.run(main())
