"""Forks while other threads run: os.fork from a worker thread (and a fork of that fork),
a multiprocessing "fork" child started while threads run. Each child prints, as one JSON
line, the threads it really has (native ids, names), for the test to compare."""

import json
import multiprocessing
import os
import threading
import time

stop = threading.Event()


def spin() -> None:
    while not stop.is_set():
        sum(range(2000))
        time.sleep(0.001)


def report(label: str) -> None:
    helper = threading.Thread(target=time.sleep, args=(0.03,), name=f"{label}-helper")
    helper.start()
    helper.join()
    tids = {threading.get_native_id(): threading.current_thread().name,
            helper.native_id: helper.name}
    print(json.dumps({"label": label, "pid": os.getpid(), "threads": tids}), flush=True)


def forker() -> None:
    pid = os.fork()
    if pid == 0:
        report("fork")
        grandchild = os.fork()  # a fork of a fork, from the child's main thread
        if grandchild == 0:
            report("fork-of-fork")
            os._exit(0)
        os.waitpid(grandchild, 0)
        os._exit(0)
    os.waitpid(pid, 0)


def mp_child() -> None:
    report("mp-fork")


if __name__ == "__main__":
    spinners = [threading.Thread(target=spin, name=f"spin-{i}") for i in range(3)]
    for thread in spinners:
        thread.start()
    time.sleep(0.05)
    thread = threading.Thread(target=forker, name="forker-0")
    thread.start()
    thread.join()
    process = multiprocessing.get_context("fork").Process(target=mp_child, name="mp-child")
    process.start()
    process.join()
    stop.set()
    for thread in spinners:
        thread.join()
