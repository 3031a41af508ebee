"""A lock storm: 4 threads take one lock 2500 times each, napping 10 us inside it (time.sleep
lets the others run into it), so many acquisitions are contended and every wait is short
(tests/test_sync_counts.py runs it with a threshold no wait reaches)."""

import os
import sys
import threading
import time

LOCK = threading.Lock()
ROUNDS = 2500


def storm() -> None:
    for _ in range(ROUNDS):
        with LOCK:
            time.sleep(0.00001)


threads = [threading.Thread(target=storm, name=f"storm-{i}") for i in range(4)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
print("done", flush=True)
if sys.argv[1:] == ["os._exit"]:
    os._exit(0)  # no exit handlers: the counts written along the way are what is known
