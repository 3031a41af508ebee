"""A spawn child serving with asyncio (a task waits on an asyncio.Queue, the main coroutine
on an Event) that its parent ends with terminate(), as hypercorn's master does to a worker
still running at shutdown: its pending tasks are the kill's doing, not a deadlock."""

import asyncio
import multiprocessing as mp
import time


async def consume(queue: "asyncio.Queue[int]") -> None:
    await queue.get()


async def serve(ready: "mp.synchronize.Event") -> None:
    queue: asyncio.Queue[int] = asyncio.Queue()
    consumer = asyncio.create_task(consume(queue), name="consumer")
    await asyncio.sleep(0.01)
    ready.set()
    await asyncio.Event().wait()
    consumer.cancel()


def child(ready: "mp.synchronize.Event") -> None:
    asyncio.run(serve(ready))


if __name__ == "__main__":
    ctx = mp.get_context("spawn")
    ready = ctx.Event()
    worker = ctx.Process(target=child, args=(ready,), name="worker")
    worker.start()
    ready.wait(60)
    time.sleep(0.3)
    worker.terminate()
    worker.join()
    print("worker", worker.exitcode)
