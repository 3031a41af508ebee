"""_thread.interrupt_main as CPython's test_threading calls it: a signal simulated for the
main thread's Python handler, by the process itself (nobody sends one)."""

import _thread
import signal
import threading
import time

got = []
signal.signal(signal.SIGUSR1, lambda signum, frame: got.append(signum))
_thread.interrupt_main(signal.SIGUSR1)  # its own handler runs
try:
    _thread.interrupt_main(-1)
except ValueError as error:
    print("ValueError:", error)
try:
    threading.Thread(target=_thread.interrupt_main).start()  # default_int_handler
    for _ in range(500):
        time.sleep(0.01)
except KeyboardInterrupt:
    print("interrupted", got)
signal.signal(signal.SIGUSR2, signal.SIG_IGN)
_thread.interrupt_main(signal.SIGUSR2)  # ignored: nothing happens
print("done")
