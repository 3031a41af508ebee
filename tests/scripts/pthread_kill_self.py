"""A thread signals the main thread with signal.pthread_kill, as CPython's test_socketserver
does to interrupt a blocking send: a signal the process gives itself."""

import signal
import threading
import time

got = []
signal.signal(signal.SIGUSR1, lambda signum, frame: got.append(signum))
poke = threading.Thread(target=signal.pthread_kill,
                        args=(threading.main_thread().ident, signal.SIGUSR1))
poke.start()
poke.join()
time.sleep(0.3)  # the handler runs; the delivery is seen
try:
    signal.pthread_kill(threading.main_thread().ident, -1)
except OSError as error:  # EINVAL: no record, and its own error
    print("OSError:", error)
print(got)
