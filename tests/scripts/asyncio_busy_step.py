"""A task step that blocks the loop in pure Python (httpx's AsyncClient() does so in its
transport's __init__: an import and an SSL context): the innermost function that took the
block calls no builtin that lasts, so nothing may be named as what it called (the step's
own _contextvars.Context.run, its caller, was)."""

import asyncio
import time


def crunch(seconds: float) -> int:
    end = time.monotonic() + seconds
    n = 0
    while time.monotonic() < end:
        n += 1
    return n


async def main() -> None:
    await asyncio.sleep(0.01)
    print("crunched", crunch(0.15) > 0)


asyncio.run(main())
