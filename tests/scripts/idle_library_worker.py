"""A library's own daemon worker idle at exit (logging's QueueListener, never stopped, its
queue empty) next to the program's own daemon thread, busy at exit."""

import logging
import logging.handlers
import queue
import threading
import time

records: queue.Queue[logging.LogRecord] = queue.Queue()
listener = logging.handlers.QueueListener(records, logging.StreamHandler())
listener.start()
log = logging.getLogger("app")
log.addHandler(logging.handlers.QueueHandler(records))
log.warning("started")


def crunch() -> None:
    while True:
        sum(range(10_000))


threading.Thread(target=crunch, name="cruncher", daemon=True).start()
time.sleep(0.3)
print("main done", flush=True)
