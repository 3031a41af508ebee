"""A server whose master passes Ctrl-C on to its workers, as sanic's WorkerManager does
(os.kill(worker, SIGINT) on its own SIGINT): the group's SIGINT reaches every process, then
the master's reaches each worker a few ms later; each worker handles both and exits 0."""

import multiprocessing as mp
import os
import signal
import time


def worker(ready: "mp.synchronize.Semaphore") -> None:
    got: list[int] = []
    signal.signal(signal.SIGINT, lambda signum, _: got.append(signum))
    ready.release()
    deadline = time.monotonic() + 60
    while not got and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.2)  # a graceful stop: the master's SIGINT comes meanwhile


if __name__ == "__main__":
    ctx = mp.get_context("fork")
    ready = ctx.Semaphore(0)
    workers = [ctx.Process(target=worker, args=(ready,), name=f"worker-{i}") for i in range(2)]
    for w in workers:
        w.start()
    for _ in workers:
        ready.acquire(timeout=60)
    try:  # the test's SIGINT may come as soon as "ready" is out
        print("ready", flush=True)
        time.sleep(60)
    except KeyboardInterrupt:
        for w in workers:
            if w.pid is not None:
                os.kill(w.pid, signal.SIGINT)
    for w in workers:
        w.join(30)
    print([w.exitcode for w in workers], flush=True)
