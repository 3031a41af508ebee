"""A pool worker whose SIGTERM handler ends it with os._exit(signum), as pebble's workers
do (pebble.common.process.process_exit): its parent's terminate() is how it is stopped."""

import multiprocessing as mp
import os
import signal
import time


def process_exit(signum: int, _frame: object) -> None:
    mp.util._exit_function()  # type: ignore[attr-defined]
    os._exit(signum)


def worker(ready: "mp.synchronize.Event") -> None:
    signal.signal(signal.SIGTERM, process_exit)
    ready.set()
    time.sleep(30)


if __name__ == "__main__":
    ctx = mp.get_context("fork")
    ready = ctx.Event()
    child = ctx.Process(target=worker, args=(ready,), name="pool_worker")
    child.start()
    ready.wait(60)
    time.sleep(0.2)
    child.terminate()
    child.join()
    print("worker", child.exitcode)
