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
taken = threading.Event()


def holder(rounds: int, keep: bool) -> None:
    for _ in range(rounds):
        with LOCK:
            taken.set()
            time.sleep(0.05)
        time.sleep(0.02)
    if keep:
        LOCK.acquire()
        taken.set()


def waits(keep: bool) -> None:
    worker = threading.Thread(target=holder, args=(WAITS, keep), name="holder")
    worker.start()
    for _ in range(WAITS):
        taken.wait()
        taken.clear()
        with LOCK:
            pass
    if keep:
        taken.wait()
    worker.join()  # keep: holder returned with LOCK taken


def end_by(mode: str) -> None:
    time.sleep(WAITS * 0.07 + 0.4)  # MainThread is in its last, open wait
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
    LOCK.acquire()  # the last wait: never ends


if __name__ == "__main__":
    print("ready", flush=True)
    main(sys.argv[1])
