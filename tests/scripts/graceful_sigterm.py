"""Workers that handle SIGTERM and exit 0: one multiprocessing child stopped with terminate(),
one subprocess child stopped with os.kill (as gunicorn's master stops its workers)."""

import multiprocessing
import os
import signal
import subprocess
import sys
import time

CHILD = ("import signal, sys, time\n"
         "signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))\n"
         "print('ready', flush=True)\n"
         "time.sleep(30)\n")


def worker(ready: "multiprocessing.synchronize.Event") -> None:
    stop = []
    signal.signal(signal.SIGTERM, lambda *a: stop.append(1))
    ready.set()
    while not stop:
        time.sleep(0.01)


if __name__ == "__main__":
    ready = multiprocessing.Event()
    mp_worker = multiprocessing.Process(target=worker, args=(ready,), name="mp-worker")
    mp_worker.start()
    ready.wait()
    mp_worker.terminate()
    mp_worker.join()
    sub = subprocess.Popen([sys.executable, "-c", CHILD], stdout=subprocess.PIPE, text=True)
    assert sub.stdout is not None and sub.stdout.readline() == "ready\n"
    os.kill(sub.pid, signal.SIGTERM)
    print("exit codes", mp_worker.exitcode, sub.wait(), flush=True)
