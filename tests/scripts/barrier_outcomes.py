"""Barrier waits ended each way: passed (by the last arrival), broken by another's
timeout, aborted, reset, and this thread's own timeout."""

import sys
import threading
import time


def run(name, fn):
    def body():
        try:
            fn()
            sys.stdout.write(f"{name} passed\n")  # one write: threads print at once
        except threading.BrokenBarrierError:
            sys.stdout.write(f"{name} broken\n")
    t = threading.Thread(target=body, name=name)
    t.start()
    return t


PHASE = threading.Barrier(3)
threads = [run("early-0", PHASE.wait), run("early-1", PHASE.wait),
           run("slow", lambda: (time.sleep(0.1), PHASE.wait()))]
for t in threads:
    t.join()

BROKEN = threading.Barrier(3)
patient = run("patient", BROKEN.wait)
impatient = run("impatient", lambda: BROKEN.wait(timeout=0.1))
patient.join()
impatient.join()

ABORTED = threading.Barrier(2)
aborted = run("aborted", ABORTED.wait)
time.sleep(0.08)
ABORTED.abort()
aborted.join()

RESET = threading.Barrier(2)
resetee = run("resetee", RESET.wait)
time.sleep(0.08)
RESET.reset()
resetee.join()
