"""asyncio producer/consumer on an asyncio.Queue with a slow consumer.

What it demonstrates: a producer puts 30 jobs on a bounded asyncio.Queue(maxsize=3)
every 5 ms; one consumer takes 20 ms per job. The queue fills up, so the producer spends
most of its time in `await queue.put()` (back-pressure), while the consumer is never idle.

What to look for:
- The producer's task track: "awaiting Queue.put" slices, long once the queue is full;
  the consumer's: "awaiting asyncio.sleep" (its work) and short "awaiting Queue.get".
- The summary's asyncio section: the Queue.put awaits' p50 and max against Queue.get's.
"""

import asyncio

EXPECT = {
    "exit_code": 0,
    "processes": [{"name": "MainProcess", "parent": None, "exit_code": 0}],
    "no_findings": ["event_loop_blocked", "task_exception_unretrieved", "task_pending_at_exit"],
    "asyncio": {"min_tasks": 3, "awaits": ["Queue.put", "asyncio.sleep"],
                "outcomes": {"result": 3}},
}

JOBS = 30


async def producer(queue: asyncio.Queue[int | None]) -> None:
    for n in range(JOBS):
        await queue.put(n)
        await asyncio.sleep(0.005)
    await queue.put(None)


async def consumer(queue: asyncio.Queue[int | None]) -> int:
    done = 0
    while (job := await queue.get()) is not None:
        await asyncio.sleep(0.02)  # the slow part: a request per job
        done += 1 + job * 0
    return done


async def main() -> None:
    queue: asyncio.Queue[int | None] = asyncio.Queue(maxsize=3)
    made = asyncio.create_task(producer(queue), name="producer")
    done = await asyncio.create_task(consumer(queue), name="consumer")
    await made
    print(f"consumed {done} jobs")


if __name__ == "__main__":
    asyncio.run(main())
