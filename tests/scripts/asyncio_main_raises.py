"""main() raises while a task it started still waits (redis-py's pool raised
MaxConnectionsError out of a gather): asyncio.run cancels the task. The pending task's
finding said "when the main coroutine returned"."""

import asyncio


async def waits() -> None:
    await asyncio.sleep(10)


async def main() -> None:
    asyncio.create_task(waits(), name="waits")
    await asyncio.sleep(0.02)
    raise LookupError("no connection")


try:
    asyncio.run(main())
except LookupError as error:
    print("main raised", error)
