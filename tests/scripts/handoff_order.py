"""Who runs first after a recorded hand-off: the releaser keeps the GIL, as without us.

With a switch interval of 100 s, a thread gives up the GIL only by blocking. MainThread
holds LOCK, which `waiter` waits for (a recorded wait), while four `other` threads wait
for the GIL. MainThread releases LOCK (a recorded hand-off: its record is written then)
and appends "releaser": nothing blocked in between, so it comes first. A record written
with os.write released the GIL there, and an `other` thread ran first.
"""

import sys
import threading
import time

sys.setswitchinterval(100)
order: list[str] = []
LOCK = threading.Lock()


def waiter() -> None:
    with LOCK:
        order.append("waiter")


def other() -> None:
    time.sleep(0.01)
    order.append("other")


for _ in range(10):
    order.clear()
    LOCK.acquire()
    first = threading.Thread(target=waiter)
    first.start()
    time.sleep(0.05)  # waiter is blocked on LOCK: its wait is recorded
    others = [threading.Thread(target=other) for _ in range(4)]
    for t in others:
        t.start()
    spin = time.perf_counter() + 0.05
    while time.perf_counter() < spin:  # the GIL stays here: the others now wait for it
        pass
    LOCK.release()
    order.append("releaser")
    for t in [first, *others]:
        t.join()
    print(order[0], flush=True)
