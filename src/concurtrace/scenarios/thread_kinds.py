"""Every way to get a thread: subclass, Timer, pools, asyncio, _thread, import time, fork child.

What it demonstrates: all of these are real OS threads of the same process,
whatever API created them, and each gets a name: a threading.Thread subclass
overriding run() ("subclassed"), threading.Timer ("timer"), a
ThreadPoolExecutor ("pool_0", "pool_1"), asyncio.to_thread and
loop.run_in_executor(None, ...) (both use the loop's default executor, threads
"asyncio_N"), the low-level _thread.start_new_thread (no Thread object, so
threading calls it "Dummy-N"), a thread started while the module is imported,
before main() ("import-time"), and a thread started inside an os.fork() child
("in-fork-child", in process "MainProcess (fork)").

What to look for in the timeline:
- MainProcess's thread tracks, one per thread above, each with a flow arrow
  from the start() call that created it.
- The fork child "MainProcess (fork)" with its own MainThread and
  "in-fork-child".
"""

import _thread
import asyncio
import concurrent.futures
import os
import sys
import threading
import time


def nap(label: str, seconds: float = 0.05) -> str:
    time.sleep(seconds)
    name = threading.current_thread().name
    print(f"{label:>18}: ran in thread {name!r}", flush=True)
    return name


# Started while the module is being imported, before main() runs.
IMPORT_TIME_THREAD = threading.Thread(target=nap, args=("import time",), name="import-time")
if __name__ == "__main__":
    IMPORT_TIME_THREAD.start()

EXPECT = {
    "exit_code": 0,
    "processes": [
        {"name": "MainProcess", "parent": None, "exit_code": 0},
        {"name": "MainProcess (fork)", "parent": "MainProcess", "exit_code": 0},
    ],
    "threads": [
        {"process": "MainProcess", "name": "import-time", "daemon": False},
        {"process": "MainProcess (fork)", "name": "in-fork-child", "daemon": False},
        {"process": "MainProcess", "name": "subclassed", "daemon": False},
        {"process": "MainProcess", "name": "timer", "daemon": False},
        {"process": "MainProcess", "name_prefix": "pool_", "min_count": 1},
        {"process": "MainProcess", "name_prefix": "asyncio_", "min_count": 1},
        {"process": "MainProcess", "name_prefix": "_thread (", "count": 1},
    ],
    "no_findings": ["daemon_thread_abandoned"],
}


class Subclassed(threading.Thread):
    def run(self) -> None:
        nap("Thread subclass")


def in_fork_child() -> None:
    t = threading.Thread(target=nap, args=("fork child thread",), name="in-fork-child")
    t.start()
    t.join()
    os._exit(0)


def raw_thread(done: _thread.LockType) -> None:
    nap("_thread")
    done.release()


async def with_asyncio() -> None:
    await asyncio.to_thread(nap, "asyncio.to_thread")
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, nap, "run_in_executor")


def main() -> None:
    IMPORT_TIME_THREAD.join()

    # Fork while this is the only thread (forking a threaded process is unsafe
    # and warns on 3.12+); the child starts a thread of its own.
    sys.stdout.flush()
    pid = os.fork()
    if pid == 0:
        in_fork_child()
    os.waitpid(pid, 0)

    sub = Subclassed(name="subclassed")
    sub.start()
    sub.join()

    timer = threading.Timer(0.05, nap, args=("threading.Timer", 0.0))
    timer.name = "timer"
    timer.start()
    timer.join()

    with concurrent.futures.ThreadPoolExecutor(2, thread_name_prefix="pool") as ex:
        list(ex.map(nap, ["ThreadPoolExecutor"] * 2))

    asyncio.run(with_asyncio())

    done = _thread.allocate_lock()
    done.acquire()
    _thread.start_new_thread(raw_thread, (done,))
    done.acquire()  # released by the raw thread when it is done
    time.sleep(0.01)  # let it finish exiting


if __name__ == "__main__":
    main()
