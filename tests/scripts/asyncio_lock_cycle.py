"""Two tasks each hold one asyncio.Lock and await the other's: nothing can wake them,
and the main coroutine waits for both in gather (tests/test_asyncio.py)."""

import asyncio


async def worker(first: asyncio.Lock, second: asyncio.Lock) -> None:
    async with first:
        await asyncio.sleep(0.1)
        async with second:
            print("never")


async def main() -> None:
    a, b = asyncio.Lock(), asyncio.Lock()
    print("started", flush=True)
    await asyncio.gather(worker(a, b), worker(b, a))


asyncio.run(main())
