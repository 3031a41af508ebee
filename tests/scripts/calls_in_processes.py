"""Three processes making calls (one with a second thread, one leaving by os._exit with
calls open): the dumps tests/test_merge_pool.py merges serially and in worker processes."""

import multiprocessing as mp
import os
import threading


def f(n: int) -> int:
    return n if n < 2 else f(n - 1) + 1


def calls(count: int) -> None:
    for _ in range(count // 10):
        f(10)


def threaded() -> None:
    worker = threading.Thread(target=calls, args=(2000,), name="helper")
    worker.start()
    calls(3000)
    worker.join()


def leaves_abruptly() -> None:
    calls(2000)
    os._exit(0)  # inside this call: it is open when tracing stops


if __name__ == "__main__":
    children = [mp.Process(target=threaded), mp.Process(target=leaves_abruptly)]
    for child in children:
        child.start()
    calls(4000)
    for child in children:
        child.join()
