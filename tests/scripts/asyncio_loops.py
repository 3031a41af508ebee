"""Three event loops: asyncio.run in two threads (one of them blocked 150 ms by a
synchronous call), then loop.run_until_complete on a loop of the main thread's own."""

import asyncio
import threading
import time


async def work(n: int) -> int:
    await asyncio.sleep(0.02)
    if n == 1:
        time.sleep(0.15)
    return n


def loop_thread(n: int) -> None:
    print(asyncio.run(work(n)), flush=True)


threads = [threading.Thread(target=loop_thread, args=(n,), name=f"loop-{n}") for n in range(2)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
loop = asyncio.new_event_loop()
print(loop.run_until_complete(work(5)), flush=True)
loop.close()
