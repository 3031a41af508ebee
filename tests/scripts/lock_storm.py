"""A lock storm: 4 threads take one lock 5000 times each, napping inside it (time.sleep(0)
lets the others run into it), so many acquisitions are contended and every wait is short
(tests/test_sync_counts.py runs it with a threshold no wait reaches)."""

import os
import sys
import threading
import time

LOCK = threading.Lock()
ROUNDS = 5000


def storm() -> None:
    for _ in range(ROUNDS):
        with LOCK:
            time.sleep(0)


threads = [threading.Thread(target=storm, name=f"storm-{i}") for i in range(4)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
print("done", flush=True)
if sys.argv[1:] == ["os._exit"]:
    os._exit(0)  # no exit handlers: the counts written along the way are what is known
