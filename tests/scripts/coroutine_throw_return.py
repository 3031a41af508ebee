"""anyio's cancel scopes (httpx, starlette) in 15 lines: a task is cancelled while it awaits
a coroutine that catches the CancelledError and returns. CPython 3.11 then resumes the outer
coroutine without reporting its call to the profiler, only its return: VizTracer warns
"Unexpected function return, tracing is stopped" and records no more calls."""

import asyncio
import warnings


async def inner(fut: "asyncio.Future[None]") -> int:
    try:
        await fut
    except asyncio.CancelledError:
        return 5
    return 0


async def outer(fut: "asyncio.Future[None]") -> int:
    value = await inner(fut)
    return value


async def main() -> None:
    fut = asyncio.get_running_loop().create_future()
    task = asyncio.create_task(outer(fut))
    await asyncio.sleep(0)
    task.cancel()
    print(await task)


asyncio.run(main())
warnings.warn("the program's own", RuntimeWarning, stacklevel=1)
