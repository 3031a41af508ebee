"""Makes a process write most lifecycle record kinds (tests/test_records.py)."""

import multiprocessing
import os
import signal
import subprocess
import sys
import threading
import time


def work() -> None:
    time.sleep(0.05)


def boom() -> None:
    raise KeyError("thread")


if __name__ == "__main__":
    threading.Thread(target=work).start()
    failing = threading.Thread(target=boom)
    failing.start()
    failing.join()
    threading.Thread(target=time.sleep, args=(30,), daemon=True).start()  # abandoned
    child = multiprocessing.get_context("spawn").Process(target=work)
    child.start()
    child.join()
    victim = multiprocessing.get_context("spawn").Process(target=time.sleep, args=(30,))
    victim.start()
    time.sleep(0.3)
    victim.terminate()
    victim.join()
    subprocess.run([sys.executable, "-c", "pass"], check=True)
    pid = os.fork()
    if pid == 0:
        os._exit(3)
    os.waitpid(pid, 0)
    pid = os.fork()
    if pid == 0:  # exec
        os.execv(sys.executable, [sys.executable, "-c", "pass"])
    os.waitpid(pid, 0)
    sleeper = subprocess.Popen(["sleep", "30"])
    os.kill(sleeper.pid, signal.SIGTERM)
    sleeper.wait()
    sys.excepthook(ValueError, ValueError("handled"), None)
