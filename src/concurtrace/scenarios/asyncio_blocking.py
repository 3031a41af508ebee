"""A blocking call inside a coroutine: time.sleep() where asyncio.sleep() was meant.

What it demonstrates: three tasks share one event loop; one of them calls a
synchronous function (parse_report, 300 ms of time.sleep) inside a coroutine, and
for those 300 ms no other task runs: the ticker, which wants to run every 20 ms,
runs late.

What to look for in the timeline:
- MainThread's "event loop" track: a "loop blocked" slice of ~300 ms named after
  the step of task "parser"; the finding `event_loop_blocked` names parse_report.
- One track per task ("task ticker", "task parser", "task main"): "running" slices
  for their steps, "awaiting asyncio.sleep" between them.
- The counter "loop lag ms" jumps to ~300 ms while the loop was blocked.
"""

import asyncio
import time

EXPECT = {
    "exit_code": 0,
    "processes": [{"name": "MainProcess", "parent": None, "exit_code": 0}],
    "findings": ["event_loop_blocked"],
}


def parse_report() -> int:
    time.sleep(0.3)  # a synchronous call: the whole loop waits
    return 42


async def ticker() -> int:
    ticks = 0
    for _ in range(20):
        await asyncio.sleep(0.02)
        ticks += 1
    return ticks


async def parser() -> int:
    await asyncio.sleep(0.05)
    return parse_report()


async def main() -> None:
    tick = asyncio.create_task(ticker(), name="ticker")
    parse = asyncio.create_task(parser(), name="parser")
    print("parsed", await parse, "ticks", await tick, flush=True)


if __name__ == "__main__":
    asyncio.run(main())
