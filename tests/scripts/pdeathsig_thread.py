"""billiard's (celery's) pool workers: a child started by a thread sets PR_SET_PDEATHSIG to
SIGKILL, and the kernel kills it when that thread ends (not the process: the thread)."""
import ctypes
import os
import signal
import threading
import time

PR_SET_PDEATHSIG = 1
started: list[int] = []


def start_worker() -> None:
    pid = os.fork()
    if pid == 0:
        ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        time.sleep(30)
        os._exit(0)
    started.append(pid)
    time.sleep(0.3)  # the worker is set up; the thread that started it ends


handler = threading.Thread(target=start_worker, name="Worker handler")
handler.start()
handler.join()
print("worker", os.waitstatus_to_exitcode(os.waitpid(started[0], 0)[1]))
