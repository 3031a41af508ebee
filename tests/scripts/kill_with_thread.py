"""A child with a daemon thread, killed by SIGKILL from its parent: its Python thread was
alive until the kill (no record of its end can be written), not a thread of C code."""

import multiprocessing as mp
import threading
import time
from multiprocessing.synchronize import Event


def worker(ready: Event) -> None:
    threading.Thread(target=time.sleep, args=(30,), name="helper", daemon=True).start()
    ready.set()
    time.sleep(30)


if __name__ == "__main__":
    ctx = mp.get_context("fork")
    ready = ctx.Event()
    child = ctx.Process(target=worker, args=(ready,), name="child")
    child.start()
    assert ready.wait(30)
    child.kill()
    child.join()
    print("child", child.exitcode)
