"""Default thread names after threads of every kind: threading's, asyncio.to_thread's
pool, asyncio.run's executor shutdown thread. Prints each name the program sees (the
counter behind "Thread-N" must not move under concurtrace)."""

import asyncio
import threading


def named() -> str:
    return threading.Thread(target=lambda: None).name


first = threading.Thread(target=lambda: None)
first.start()
first.join()
print(first.name)


async def main() -> None:
    await asyncio.to_thread(lambda: None)
    print(sorted(t.name for t in threading.enumerate()))


asyncio.run(main())
print(named())
