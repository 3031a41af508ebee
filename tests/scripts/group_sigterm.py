"""A master that handles SIGTERM (exits 0 once it got it) and two workers that do not, as
hypercorn -w 2 stopped by `kill -TERM -PGID` (a service manager, a container's stop): the
workers die of that SIGTERM, sent by no process of the tree."""

import multiprocessing as mp
import signal
import sys
import time


def worker(ready: "mp.synchronize.Semaphore") -> None:
    ready.release()
    time.sleep(60)


if __name__ == "__main__":
    # A flag, not a threading.Event: Event.set() from a handler that interrupted the main
    # thread inside Event.wait's own critical section deadlocks (see bench/README.md).
    stopped = []
    signal.signal(signal.SIGTERM, lambda *_: stopped.append(True))
    ctx = mp.get_context("spawn")
    ready = ctx.Semaphore(0)
    workers = [ctx.Process(target=worker, args=(ready,), name=f"worker-{i}") for i in range(2)]
    for w in workers:
        w.start()
    for _ in workers:
        ready.acquire(timeout=60)
    print("ready", flush=True)
    deadline = time.monotonic() + 60
    while not stopped and time.monotonic() < deadline:
        time.sleep(0.01)
    for w in workers:
        w.join(10)
    print(sorted(w.exitcode for w in workers))
    sys.exit(0)
