"""A multiprocessing worker whose SIGTERM handler is C code that calls _exit(0) at once, as
PyTorch's DataLoader workers do (torch/csrc/DataLoader.cpp: a SIGTERM from the parent
exits 0, so that the loader's SIGCHLD handler does not report it): no Python exit runs,
neither atexit nor concurtrace's save. Here the handler is a ctypes callback that calls
libc's _exit(0) directly (not os._exit). Worker A is terminate()d and joined; worker B,
a daemon like the DataLoader's, is left to multiprocessing's cleanup at exit, as when an
exception out of the loader's loop keeps the loader alive in its traceback."""

from __future__ import annotations

import ctypes
import multiprocessing as mp
import signal
import threading
import time
from multiprocessing.synchronize import Event

libc = ctypes.CDLL(None, use_errno=True)
HANDLER = ctypes.CFUNCTYPE(None, ctypes.c_int)


def _exit_now(_signum: int) -> None:
    libc._exit(0)


KEEP = HANDLER(_exit_now)


def worker(ready: Event, work: mp.Queue[object]) -> None:
    libc.signal.restype = ctypes.c_void_p
    libc.signal.argtypes = [ctypes.c_int, ctypes.c_void_p]
    libc.signal(int(signal.SIGTERM), ctypes.cast(KEEP, ctypes.c_void_p))
    helper = threading.Thread(target=time.sleep, args=(30,), name="helper", daemon=True)
    helper.start()
    ready.set()
    work.get()  # waits for an item that never comes


def main() -> None:
    ctx = mp.get_context("fork")
    work: mp.Queue[object] = ctx.Queue()
    procs = []
    for name in ("A", "B"):
        ready = ctx.Event()
        proc = ctx.Process(target=worker, args=(ready, work), name=name, daemon=True)
        proc.start()
        assert ready.wait(30)
        procs.append(proc)
    a = procs[0]
    time.sleep(0.05)
    a.terminate()
    a.join()
    print("A", a.exitcode, flush=True)


if __name__ == "__main__":
    main()
