"""Forks while a thread runs: on 3.12+ os.fork() warns (DeprecationWarning), and where the
warning points and whether the filters show it must not change."""

import multiprocessing
import os
import threading
import time
import warnings


def fork_and_reap() -> None:
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    os.waitpid(pid, 0)


if __name__ == "__main__":
    sleeper = threading.Thread(target=time.sleep, args=(2,), daemon=True)
    sleeper.start()
    fork_and_reap()  # default filters: shown for __main__ only
    warnings.simplefilter("default")
    child = multiprocessing.get_context("fork").Process(target=int)
    child.start()  # warns from multiprocessing/popen_fork.py
    child.join()
    print("done", flush=True)
