"""Tasks woken through asyncio's sync objects: who woke each (issue 17's "who woke them").

'waiter' waits for a Lock 'holder' keeps for 50 ms, then an Event it sets, a Condition it
notifies, a Semaphore it releases and an item it puts; then an Event a plain callback
(loop.call_later) sets, which no task woke."""

import asyncio


async def holder(lock, ev, cond, sem, q):
    async with lock:
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.02)
    ev.set()
    await asyncio.sleep(0.02)
    async with cond:
        cond.notify_all()
    await asyncio.sleep(0.02)
    sem.release()
    await asyncio.sleep(0.02)
    await q.put("item")


async def waiter(lock, ev, cond, sem, q, late):
    await asyncio.sleep(0.01)
    async with lock:
        pass
    await ev.wait()
    async with cond:
        await cond.wait()
    await sem.acquire()
    item = await q.get()
    asyncio.get_running_loop().call_later(0.02, late.set)
    await late.wait()
    print("got", item)


async def main():
    lock, ev, cond, late = asyncio.Lock(), asyncio.Event(), asyncio.Condition(), asyncio.Event()
    sem, q = asyncio.Semaphore(0), asyncio.Queue()
    await asyncio.gather(asyncio.create_task(holder(lock, ev, cond, sem, q), name="holder"),
                         asyncio.create_task(waiter(lock, ev, cond, sem, q, late), name="waiter"))


asyncio.run(main())
