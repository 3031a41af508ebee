"""What CPython's test_asyncio.test_tasks leaves behind on its one main thread: a loop per
test, closed with tasks still pending (utils.run_briefly's helper task, test_log_destroyed_
pending_task's kill_me)."""

import asyncio


async def forever(gate: asyncio.Future[None]) -> None:
    await gate


for _ in range(5):
    loop = asyncio.new_event_loop()
    gate = loop.create_future()
    task = loop.create_task(forever(gate))
    loop.run_until_complete(asyncio.sleep(0))
    loop.close()  # the task stays pending (its destruction is logged, as without us)
print("done")
