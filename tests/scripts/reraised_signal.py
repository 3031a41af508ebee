"""uvicorn's workers: a SIGTERM from the parent is handled (a graceful shutdown), then the
worker restores the default and raises the signal itself, so that it dies of it.
argv[1]: "raise" (signal.raise_signal) or "kill" (os.kill(os.getpid(), ...))."""

import multiprocessing as mp
import os
import signal
import sys
import time


def worker(how: str, ready: "mp.synchronize.Event") -> None:
    got: list[int] = []
    signal.signal(signal.SIGTERM, lambda signum, frame: got.append(signum))
    ready.set()
    while not got:
        time.sleep(0.01)
    time.sleep(0.1)  # the graceful shutdown
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if how == "raise":
        signal.raise_signal(signal.SIGTERM)
    else:
        os.kill(os.getpid(), signal.SIGTERM)


if __name__ == "__main__":
    ctx = mp.get_context("spawn")
    ready = ctx.Event()
    proc = ctx.Process(target=worker, args=(sys.argv[1], ready))
    proc.start()
    ready.wait()
    proc.terminate()
    proc.join()
    print("exit", proc.exitcode)
