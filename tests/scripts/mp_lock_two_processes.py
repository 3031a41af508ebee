"""Two processes wait on objects made at the same line: each process's row must say whose
it is. A fork child waits for a multiprocessing Lock its parent holds: the wait was ended by
the parent's MainThread (the summary named it by the bare tid, as a thread of the child)."""

import multiprocessing as mp
import threading
import time


def make_event() -> threading.Event:
    return threading.Event()  # every process makes its Event here


def wait_briefly() -> None:
    done = make_event()
    threading.Timer(0.1, done.set).start()
    done.wait()


def child(lock: "mp.synchronize.Lock") -> None:
    wait_briefly()
    with lock:  # the parent holds it: this wait is ended by the parent's release
        pass


if __name__ == "__main__":
    ctx = mp.get_context("fork")
    lock = ctx.Lock()
    lock.acquire()
    proc = ctx.Process(target=child, args=(lock,))
    proc.start()
    wait_briefly()
    time.sleep(0.3)
    lock.release()
    proc.join()
    print("exit", proc.exitcode)
