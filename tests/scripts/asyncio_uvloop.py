"""uvloop: tasks, names, current_task(), a blocking step, cancellation, an exception in a
task awaited and one never retrieved, to_thread; prints what it sees (compared plain and
traced)."""

import asyncio
import gc
import sys
import time
import traceback

import uvloop


async def child(n: int) -> int:
    await asyncio.sleep(0.01 * n)
    if n == 2:
        time.sleep(0.15)  # blocks the loop
    return n


async def fails() -> None:
    await asyncio.sleep(0)
    raise KeyError("uv")


async def forgotten() -> None:
    raise ValueError("nobody awaits me on uvloop")


async def main() -> None:
    loop = asyncio.get_running_loop()
    print(type(loop).__module__, type(loop).__name__, loop.get_task_factory())
    tasks = [asyncio.create_task(child(n), name=f"child-{n}") for n in range(3)]
    print(await asyncio.gather(*tasks), [t.get_name() for t in tasks])
    me = asyncio.current_task()
    print("current:", me is not None and me.get_name().startswith("Task-"))
    try:
        await asyncio.create_task(fails(), name="fails")
    except KeyError:
        traceback.print_exc()
    slow = asyncio.create_task(asyncio.sleep(10), name="slow")
    await asyncio.sleep(0.01)
    slow.cancel()
    try:
        await slow
    except asyncio.CancelledError:
        print("cancelled:", slow.cancelled())
    try:
        await asyncio.wait_for(asyncio.sleep(1), 0.01)
    except asyncio.TimeoutError:
        print("timed out")
    print("to_thread:", await asyncio.to_thread(sum, [1, 2]))
    asyncio.create_task(forgotten(), name="forgotten")
    await asyncio.sleep(0.01)
    gc.collect()
    print("done", flush=True)


uvloop.run(main()) if sys.version_info >= (3, 11) else uvloop.install() or asyncio.run(main())
