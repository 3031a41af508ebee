"""Exceptions raised inside calls concurtrace hooks, caught and printed by the program."""

import _thread
import multiprocessing
import os
import signal
import subprocess
import sys
import threading
import time
import traceback


def boom() -> None:
    raise ValueError("boom")


def start_twice() -> None:
    thread = threading.Thread(target=time.sleep, args=(0,))
    thread.start()
    thread.join()
    thread.start()


def process_start_twice() -> None:
    child = multiprocessing.Process(target=int)
    child.start()
    child.join()
    child.start()


def signal_in_thread() -> None:
    errors = []

    def install() -> None:
        try:
            signal.signal(signal.SIGUSR1, signal.SIG_IGN)
        except ValueError as error:
            errors.append(error)

    thread = threading.Thread(target=install)
    thread.start()
    thread.join()
    raise errors[0]


CASES = {
    "Popen of a missing program": lambda: subprocess.Popen(["/nonexistent/program"]),
    "os.posix_spawn of a missing program": lambda: os.posix_spawn("/nonexistent", ["x"], {}),
    "os.waitpid of no child": lambda: os.waitpid(-1, 0),
    "os.kill of no process": lambda: os.kill(2**22 + 1, signal.SIGTERM),
    "Thread.start twice": start_twice,
    "join of an unstarted Process": lambda: multiprocessing.Process(target=boom).join(),
    "Process.start twice": process_start_twice,
    "terminate of an unstarted Process": lambda: multiprocessing.Process(target=int).terminate(),
    "signal.signal outside the main thread": signal_in_thread,
    "os.close of a bad fd": lambda: os.close(2**20),
    "signal.set_wakeup_fd of a bad fd": lambda: signal.set_wakeup_fd(2**20),
}

def missing_program() -> None:
    subprocess.Popen(["/nonexistent/program"])


if __name__ == "__main__":
    for label, case in CASES.items():
        try:
            case()
        except Exception:
            print(f"-- {label}", file=sys.stderr, flush=True)
            traceback.print_exc()
    _thread.start_new_thread(boom, ())
    time.sleep(0.3)
    child = multiprocessing.Process(target=missing_program)  # printed by multiprocessing
    child.start()
    child.join()
    for child in multiprocessing.active_children():
        child.join()
