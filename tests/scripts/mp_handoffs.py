"""A child of the start method argv[1] ends each of its parent's waits after 100 ms:
an Event, a Queue item, a SimpleQueue item, a JoinableQueue join, a Condition notify."""

import multiprocessing as mp
import sys
import time
from typing import Any


def child(started: Any, go: Any, items: Any, simple: Any, jobs: Any, cond: Any) -> None:
    time.sleep(0.1)
    go.set()
    time.sleep(0.1)
    items.put("item")
    time.sleep(0.1)
    simple.put("simple")
    jobs.get()
    time.sleep(0.1)
    jobs.task_done()
    started.wait()
    time.sleep(0.1)
    with cond:
        cond.notify()


def main() -> None:
    ctx = mp.get_context(sys.argv[1] if len(sys.argv) > 1 else "fork")
    started, go, cond = ctx.Event(), ctx.Event(), ctx.Condition()
    items, simple, jobs = ctx.Queue(), ctx.SimpleQueue(), ctx.JoinableQueue()
    jobs.put("job")
    proc = ctx.Process(target=child, args=(started, go, items, simple, jobs, cond))
    proc.start()
    print("event", go.wait(10))
    print("queue", items.get(timeout=10))
    print("simple queue", simple.get())
    jobs.join()
    print("joined")
    with cond:
        started.set()
        print("notified", cond.wait(10))
    proc.join()


if __name__ == "__main__":
    main()
