"""A thread started by _thread whose function raises, as CPython's test_thread checks it:
_thread hands the error to sys.unraisablehook with the function as its object."""

import _thread
import sys
import time
import traceback

seen = []


def task() -> None:
    raise ValueError("task failed")


def quits() -> None:
    raise SystemExit(3)  # ignored silently


def wait_for(count: int) -> None:
    for _ in range(500):
        if len(seen) >= count:
            return
        time.sleep(0.01)


sys.unraisablehook = seen.append
_thread.start_new_thread(task, ())
wait_for(1)
[args] = seen
print(args.object is task, args.err_msg, type(args).__name__, repr(args.exc_value))
print([frame.name for frame in traceback.extract_tb(args.exc_traceback)])
sys.unraisablehook = sys.__unraisablehook__
_thread.start_new_thread(quits, ())
_thread.start_new_thread(task, ())  # the default hook prints it
time.sleep(0.3)
print("done")
