"""Exceptions that Python itself reports: in multiprocessing children (every start
method), in threads (one raised inside a hooked call), and an uncaught FileNotFoundError
from Popen of a missing program."""

import multiprocessing
import os
import subprocess
import threading


def nested() -> None:
    raise ValueError("raised in the child")


def target() -> None:
    nested()


if __name__ == "__main__":
    for method in ("fork", "spawn", "forkserver"):
        child = multiprocessing.get_context(method).Process(target=target, name=f"{method}-1")
        child.start()
        child.join()
    for thread in (threading.Thread(target=target, name="worker"),
                   threading.Thread(target=os.waitpid, args=(2**22 + 1, 0), name="waiter")):
        thread.start()
        thread.join()
    try:
        subprocess.Popen(["/nonexistent/program"])
    finally:
        print("end of main", flush=True)
