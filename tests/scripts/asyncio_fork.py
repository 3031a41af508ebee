"""A fork from inside a task's step, after a few steps (not yet written by concurtrace)."""

import asyncio
import multiprocessing


def child() -> None:
    print("child ran", flush=True)


async def main() -> None:
    for _ in range(5):
        await asyncio.sleep(0.001)
    worker = multiprocessing.get_context("fork").Process(target=child)
    worker.start()
    await asyncio.to_thread(worker.join)
    print("exit code", worker.exitcode, flush=True)


asyncio.run(main())
