"""3.12+ eager tasks (asyncio.eager_task_factory): a task whose first step, run inside
create_task, ends in a bare yield (asyncio.sleep(0)) has no waiter and is not done. Its
track read "scheduled" up to its second step, as if its first had not run. On 3.12
asyncio.create_task(name=...) names an eager task after its first step: every eager task
that did not end in it lost that name ("Task-3"), the creation record's name winning over
its later steps'."""

import asyncio


async def tick() -> int:
    await asyncio.sleep(0)
    return 1


async def waits() -> int:
    await asyncio.sleep(0.01)
    return 2


async def main() -> None:
    asyncio.get_running_loop().set_task_factory(asyncio.eager_task_factory)
    task = asyncio.create_task(tick(), name="tick")
    print("done at once:", task.done())
    print("result:", await task)
    print("result:", await asyncio.create_task(waits(), name="waits"))


asyncio.run(main())
