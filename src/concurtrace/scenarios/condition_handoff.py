"""A baker hands loaves to two customers through a threading.Condition.

What it demonstrates: a condition variable hand-off. "baker" bakes six loaves,
80 ms each (outside the lock), puts each on the shelf and calls notify();
"customer-1" and "customer-2" wait on the condition until a loaf is there, so
they spend most of their lives waiting, and each wait is ended by the baker.

What to look for in the timeline:
- Each customer's "<thread> sync" track: "waiting for Condition@condition_handoff.py:33
  (SHELF_READY)", with the baker as releaser and outcome "notified".
- A flow arrow from the baker's "notified Condition@..." to the customer's
  "resumed: notified".
- No deadlock and no lock contention: the waits are for work, not for a lock.
"""

import threading
import time

EXPECT = {
    "exit_code": 0,
    "processes": [{"name": "MainProcess", "parent": None, "exit_code": 0}],
    "threads": [
        {"process": "MainProcess", "name": "baker", "min_s": 0.3, "max_s": 3.0},
        {"process": "MainProcess", "name_prefix": "customer-", "count": 2},
    ],
    "no_findings": ["deadlock", "lock_contention"],
}

LOAVES = 6
SHELF: list[int] = []
SHELF_READY = threading.Condition()


def baker() -> None:
    for loaf in range(LOAVES):
        time.sleep(0.08)  # baking, outside the lock
        with SHELF_READY:
            SHELF.append(loaf)
            SHELF_READY.notify()


def customer(wants: int) -> None:
    for _ in range(wants):
        with SHELF_READY:
            SHELF_READY.wait_for(lambda: SHELF)
            loaf = SHELF.pop(0)
        print(f"{threading.current_thread().name} got loaf {loaf}", flush=True)


def main() -> None:
    threads = [threading.Thread(target=baker, name="baker")]
    threads += [threading.Thread(target=customer, args=(LOAVES // 2,), name=f"customer-{k}")
                for k in (1, 2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


if __name__ == "__main__":
    main()
