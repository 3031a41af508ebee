"""What an asyncio program sees and prints, to compare plain vs under concurtrace: task
names, current_task(), repr(), callback order, eager tasks (3.12+), cancellation and
timeouts, exceptions retrieved and not, and an uncaught error out of asyncio.run."""

import asyncio
import gc
import os
import sys
import traceback
import warnings


async def child(n: int) -> int:
    await asyncio.sleep(0.001 * n)
    return n


async def fails() -> None:
    await asyncio.sleep(0)
    raise KeyError("inner")


async def forgotten() -> None:
    raise ValueError("nobody awaits me")


async def slow() -> None:
    await asyncio.sleep(10)


def parse(text: str) -> int:  # raises in an executor's worker thread
    return int(text)


async def consumer(queue: "asyncio.Queue[int | None]", seen: list[int]) -> None:
    while (item := await queue.get()) is not None:
        seen.append(item)


async def main() -> None:
    me = asyncio.current_task()
    print("main:", me.get_name() if me else None, repr(me)[:40])
    tasks = [asyncio.create_task(child(n), name=f"child-{n}") for n in range(3)]
    tasks[0].set_name("renamed")
    unnamed = asyncio.create_task(child(0))
    print("names:", [t.get_name() for t in tasks], "unnamed:", unnamed.get_name())
    order: list[str] = []
    tasks[1].add_done_callback(lambda t: order.append("cb1"))
    tasks[1].add_done_callback(lambda t: order.append("cb2"))
    print("results:", await asyncio.gather(*tasks), "callbacks:", order)
    try:
        await asyncio.create_task(fails(), name="fails")
    except KeyError:
        traceback.print_exc()
    try:
        await asyncio.wait_for(slow(), 0.01)
    except asyncio.TimeoutError:
        traceback.print_exc()
    waiting = asyncio.create_task(slow(), name="to-cancel")
    await asyncio.sleep(0)
    waiting.cancel("stop now")
    try:
        await waiting
    except asyncio.CancelledError as error:
        print("cancelled:", waiting.cancelled(), error.args)
    if sys.version_info >= (3, 11):
        try:
            async with asyncio.timeout(0.01):
                await slow()
        except TimeoutError:
            traceback.print_exc()
    if sys.version_info >= (3, 12):
        loop = asyncio.get_running_loop()
        loop.set_task_factory(asyncio.eager_task_factory)
        steps: list[str] = []

        async def eager() -> str:
            steps.append("eager ran")
            await asyncio.sleep(0)
            return "eager done"

        async def done_at_once() -> str:
            return "done at once"

        task = asyncio.create_task(eager())
        steps.append("after create")
        at_once = asyncio.create_task(done_at_once())  # finished inside create_task
        print("eager:", steps, await task, task.get_name().startswith("Task-"),
              at_once.done(), await at_once)
        loop.set_task_factory(None)
    queue: asyncio.Queue[int | None] = asyncio.Queue(maxsize=2)
    seen: list[int] = []
    eat = asyncio.create_task(consumer(queue, seen))
    for item in [*range(5), None]:
        await queue.put(item)
    await eat
    print("queue:", seen, "to_thread:", await asyncio.to_thread(sum, [1, 2, 3]))
    loop = asyncio.get_running_loop()
    print("run_in_executor:", await loop.run_in_executor(None, sum, [4, 5]))
    try:
        await asyncio.to_thread(int, "x")  # raises in the worker: the same traceback
    except ValueError:
        traceback.print_exc()
    for offload in (lambda: asyncio.to_thread(parse, "y"),
                    lambda: loop.run_in_executor(None, parse, "z")):
        try:  # a Python frame of the program's in the worker: the same traceback
            await offload()
        except ValueError:
            traceback.print_exc()
    slow()  # never awaited: the warning names this line, as without concurtrace
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        slow()
        gc.collect()
    print("caught:", [(w.category.__name__, os.path.basename(w.filename), w.lineno)
                      for w in caught])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        slow()  # the RuntimeWarning raised in the finalizer: "Exception ignored in"
    asyncio.create_task(forgotten(), name="forgotten")
    await asyncio.sleep(0.01)
    gc.collect()  # its "Task exception was never retrieved" now, as the program sees it
    print("all tasks done:", all(t.done() for t in tasks), flush=True)
    raise RuntimeError("uncaught out of asyncio.run")


asyncio.run(main())
