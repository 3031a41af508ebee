"""Recorded waits, then an end that gives no process a chance to flush anything.

    sync_records_fate.py MODE   (MODE: sigkill | os_exit | crash | fork | threads)

sigkill / os_exit / crash: MainThread waits WAITS times (50 ms each) for LOCK, which
`holder` takes and releases (each a wait, its end and the release: three records), then
waits for it a last time while `holder` keeps it; `killer` then ends the process.
fork: a fork child does the same WAITS waits on its own copy and ends by os._exit(0); the
parent then does them too. threads: THREADS threads each wait EACH times on an Event
(recorded at once, 2 ms, timed out), all at the same time.
"""

import ctypes
import os
import signal
import sys
import threading
import time

WAITS, THREADS, EACH = 5, 80, 40
LOCK = threading.Lock()
ready, taken, last = threading.Event(), threading.Event(), threading.Event()


def holder(rounds: int, keep: bool) -> None:
    for _ in range(rounds):  # one round per wait of MainThread's, however slow the machine
        ready.wait()
        ready.clear()
        with LOCK:
            taken.set()
            time.sleep(0.05)
    if keep:
        ready.wait()
        LOCK.acquire()
        taken.set()


def waits(keep: bool) -> None:
    worker = threading.Thread(target=holder, args=(WAITS, keep), name="holder")
    worker.start()
    for _ in range(WAITS):
        ready.set()
        taken.wait()
        taken.clear()
        with LOCK:
            pass
    if keep:
        ready.set()
        taken.wait()
    worker.join()  # keep: holder returned with LOCK taken


def end_by(mode: str) -> None:
    last.wait()
    time.sleep(0.3)  # MainThread is in its last, open wait (recorded after 1 ms)
    sys.stdout.flush()
    if mode == "sigkill":
        os.kill(os.getpid(), signal.SIGKILL)
    elif mode == "os_exit":
        os._exit(7)
    else:
        ctypes.string_at(0)  # SIGSEGV


def threads_at_once() -> None:
    start = threading.Barrier(THREADS)

    def one() -> None:
        event = threading.Event()
        start.wait()
        for _ in range(EACH):
            event.wait(0.002)

    crowd = [threading.Thread(target=one) for _ in range(THREADS)]
    for t in crowd:
        t.start()
    for t in crowd:
        t.join()


def main(mode: str) -> None:
    if mode == "threads":
        threads_at_once()
        return
    if mode == "fork":
        pid = os.fork()
        if pid == 0:
            waits(False)
            os._exit(0)
        os.waitpid(pid, 0)
        waits(False)
        return
    threading.Thread(target=end_by, args=(mode,), name="killer", daemon=True).start()
    waits(True)
    last.set()
    LOCK.acquire()  # the last wait: never ends


if __name__ == "__main__":
    print("ready", flush=True)
    main(sys.argv[1])
