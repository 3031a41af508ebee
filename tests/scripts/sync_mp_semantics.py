"""What multiprocessing's sync objects do, printed: results, errors and their messages,
timeouts, reentrancy, pickling rules, isinstance, across a child of the start method
given as argv[1]. Traced and plain must print the same."""

import multiprocessing as mp
import multiprocessing.synchronize as synchronize
import pickle
import queue
import sys
import time
from typing import Any


def show(what: str, call: Any) -> None:
    try:
        print(what, "->", repr(call()))
    except Exception as error:  # noqa: BLE001 - the point is the message
        print(what, "raises", type(error).__name__, str(error))


def child(lock: Any, rlock: Any, sem: Any, event: Any, cond: Any, q: Any, jq: Any,
          value: Any, conn: Any, ready: Any) -> None:
    ready.set()  # the parent holds lock, rlock and sem until 0.3 s after this
    print("child lock.acquire(timeout=0.05)", lock.acquire(timeout=0.05), flush=True)
    print("child rlock.acquire(False)", rlock.acquire(False), flush=True)
    print("child sem.acquire(timeout=0.05)", sem.acquire(timeout=0.05), flush=True)
    print("child lock.acquire() after the parent lets go", lock.acquire(), flush=True)
    lock.release()
    print("child sem.acquire()", sem.acquire(), flush=True)
    print("child event.wait(1)", event.wait(1), flush=True)
    with cond:
        cond.notify_all()
    print("child q.get", q.get(timeout=2), flush=True)
    with value.get_lock():
        value.value += 1
    jq.get()
    jq.task_done()
    conn.send("pong")


def main() -> None:
    ctx = mp.get_context(sys.argv[1] if len(sys.argv) > 1 else "fork")
    lock, rlock, sem = ctx.Lock(), ctx.RLock(), ctx.BoundedSemaphore(1)
    event, cond = ctx.Event(), ctx.Condition()
    q, jq, sq = ctx.Queue(1), ctx.JoinableQueue(), ctx.SimpleQueue()
    value = ctx.Value("i", 0)
    here, there = ctx.Pipe()
    ready = ctx.Event()
    show("isinstance Lock", lambda: isinstance(lock, synchronize.Lock))
    show("isinstance RLock", lambda: isinstance(rlock, synchronize.RLock))
    show("lock.acquire()", lock.acquire)
    show("lock.acquire(False)", lambda: lock.acquire(False))
    show("lock.acquire(timeout=0.02)", lambda: lock.acquire(timeout=0.02))
    show("lock.acquire(True, -1)", lambda: lock.acquire(True, -1))
    show("lock.acquire('x')", lambda: lock.acquire(True, "x"))
    show("pickle.dumps(lock)", lambda: pickle.dumps(lock))
    show("pickle.dumps(q)", lambda: pickle.dumps(q))
    show("rlock twice", lambda: (rlock.acquire(), rlock.acquire(), rlock.release(),
                                 rlock.release()))
    show("rlock.release() unowned", rlock.release)
    show("sem over-release", sem.release)
    show("sem.get_value()", sem.get_value)
    show("cond.wait unowned", lambda: cond.wait(0.01))
    show("cond.wait(0.02)", lambda: (cond.acquire(), cond.wait(0.02), cond.release())[1])
    show("event.wait(0.02)", lambda: event.wait(0.02))
    show("q.get(timeout=0.02)", lambda: q.get(timeout=0.02))
    show("q.get(False)", lambda: q.get(False))
    show("q.put", lambda: q.put(1))
    show("q.put(timeout=0.02) full", lambda: q.put(2, timeout=0.02))
    show("q.get", lambda: q.get(timeout=1))
    show("sq.empty()", sq.empty)
    show("jq.task_done() too many", jq.task_done)
    show("repr(lock) kind", lambda: repr(lock).split("(")[0])
    with rlock, sem:
        proc = ctx.Process(target=child, args=(lock, rlock, sem, event, cond, q, jq,
                                               value, there, ready))
        proc.start()
        ready.wait()
        time.sleep(0.3)
        lock.release()
    with cond:
        event.set()
        print("cond.wait notified by the child", cond.wait(5), flush=True)
    q.put("item")
    jq.put("job")
    jq.join()
    print("pipe", here.recv())
    proc.join()
    print("value", value.value, "exitcode", proc.exitcode)
    show("queue.Empty is the same", lambda: queue.Empty is mp.queues.Empty)  # type: ignore[attr-defined]


if __name__ == "__main__":
    main()
