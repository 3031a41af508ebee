"""Errors reported through the exception hooks and handled: the program exits 0."""

import sys
import threading


def report_in_thread() -> None:
    try:
        raise ValueError("handled in a thread")
    except ValueError:
        report = [*sys.exc_info(), threading.current_thread()]
        threading.excepthook(threading.ExceptHookArgs(report))


worker = threading.Thread(target=report_in_thread, name="reporter")
worker.start()
worker.join()
try:
    raise RuntimeError("handled in the main thread")
except RuntimeError:
    sys.excepthook(*sys.exc_info())
print("carried on", flush=True)
