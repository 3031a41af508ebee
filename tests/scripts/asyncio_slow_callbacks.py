"""Slow plain callbacks (not task steps) that block the event loop (issue 17): first two in
one loop iteration (call_soon'd together), then one alone, then a slow step and a slow
callback under asyncio's debug mode, which logs each (its messages name the handles)."""

import asyncio
import time


def quick() -> None:
    print("quick ran")


def slow_pair() -> None:
    time.sleep(0.15)  # blocks the loop: a plain callback, not a step


def slow_alone() -> None:
    time.sleep(0.12)


async def ticker() -> int:
    ticks = 0
    for _ in range(15):
        await asyncio.sleep(0.01)
        ticks += 1
    return ticks


async def main() -> None:
    loop = asyncio.get_running_loop()
    tick = asyncio.create_task(ticker(), name="ticker")
    await asyncio.sleep(0.03)
    handle = loop.call_soon(quick)
    loop.call_soon(slow_pair)
    print(type(handle).__name__, type(handle) is asyncio.Handle, repr(handle).split(" ")[0])
    await asyncio.sleep(0.05)
    loop.call_soon(slow_alone)
    print("ticks", await tick)


async def debug_main() -> None:
    asyncio.get_running_loop().slow_callback_duration = 0.05
    asyncio.get_running_loop().call_soon(slow_alone)
    await asyncio.sleep(0)
    time.sleep(0.06)  # a slow step, logged by the debug mode with its handle


if __name__ == "__main__":
    asyncio.run(main())
    asyncio.run(debug_main(), debug=True)
