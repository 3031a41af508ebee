"""A worker thread hands the loop a coroutine with loop.call_soon_threadsafe(loop.create_task,
...), as programs that feed a loop from threads do; the task still sleeps when main()
returns, and asyncio.run cancels it. (create_task then ran straight from the loop's
Handle._run, a few frames above run_until_complete: it was taken for asyncio.run's own
main task, and its pending end went unreported. uvloop's C loop did the same for every
task a protocol callback made: stream handlers, uvicorn's requests.)"""

import asyncio
import threading


async def job() -> None:
    try:
        await asyncio.sleep(10)
    except asyncio.CancelledError:
        print("job cancelled")
        raise


async def main() -> None:
    loop = asyncio.get_running_loop()
    worker = threading.Thread(target=loop.call_soon_threadsafe, args=(loop.create_task, job()))
    worker.start()
    worker.join()
    await asyncio.sleep(0.05)
    print("main returns")


asyncio.run(main())
