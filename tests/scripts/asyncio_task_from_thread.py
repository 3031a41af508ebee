"""A worker thread hands the loop a coroutine with loop.call_soon_threadsafe(loop.create_task,
...), as programs that feed a loop from threads do; the task still sleeps when main()
returns, and asyncio.run cancels it. No program line made that task (the loop ran
create_task itself): it read "created at <the asyncio.run line>", and created by
"callback BaseEventLoop.create_task (hooks_asyncio.py:...)", our hook's file."""

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
