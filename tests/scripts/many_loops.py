"""A loop per test, as test suites run them (CPython's test_asyncio makes a thousand): one
of the twenty blocks its loop with a synchronous sleep."""

import asyncio
import time


async def case(number: int) -> int:
    await asyncio.sleep(0)
    if number == 12:
        time.sleep(0.15)  # blocks the event loop: the one loop a reader must see
    return number


print(sum(asyncio.run(case(number)) for number in range(20)))
