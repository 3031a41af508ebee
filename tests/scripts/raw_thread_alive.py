"""A thread of _thread's own (no threading.Thread) still sleeping in a loop when the main
thread ends: the interpreter's exit cuts it, as it does a daemon thread."""

import _thread
import time


def spin() -> None:
    while True:
        time.sleep(0.01)


_thread.start_new_thread(spin, ())
time.sleep(0.2)
print("main done")
