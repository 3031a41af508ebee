"""Six downloads share two connection slots through a threading.BoundedSemaphore.

What it demonstrates: a semaphore limiting how many threads do something at once.
"download-0" .. "download-5" each take a slot, hold it 100 ms (sleeping, standing
for a network transfer) and give it back; only two run at a time, so the last
two wait about 200 ms, and the run takes about 3 x 0.1 s.

What to look for in the timeline:
- Each download's "<thread> sync" track: "waiting for
  BoundedSemaphore@semaphore_pool.py:41 (SLOTS)", ended by the download whose
  release freed a slot (an arrow from its "released ..." to "resumed: acquired").
- The lock_contention finding for SLOTS: the waiting is the limit at work; its
  advice says when to raise the semaphore's value.
"""

import threading
import time

EXPECT = {
    "exit_code": 0,
    "processes": [{"name": "MainProcess", "parent": None, "exit_code": 0}],
    "threads": [
        {"process": "MainProcess", "name_prefix": "download-", "count": 6, "min_s": 0.09,
         "max_s": 3.0},
    ],
    "findings": ["lock_contention"],
    "no_findings": ["deadlock"],
    "sync": [
        {"label_regex": r"BoundedSemaphore@semaphore_pool\.py:\d+ \(SLOTS\)", "min_waits": 3,
         "min_waiters": 3, "outcomes": ["acquired"], "ended_by_prefix": "download-"},
    ],
    "sync_slices": [
        {"track_regex": r"download-\d sync", "min_count": 3,
         "name_regex": r"waiting for BoundedSemaphore@semaphore_pool\.py:\d+ \(SLOTS\)",
         "outcome": "acquired", "releaser_prefix": "download-"},
        {"flow_src_regex": r"released BoundedSemaphore@semaphore_pool\.py:\d+ \(SLOTS\)",
         "name_regex": "resumed: acquired", "min_count": 3},
    ],
}

SLOTS = threading.BoundedSemaphore(2)


def download(k: int) -> None:
    with SLOTS:
        print(f"download-{k}: got a slot", flush=True)
        time.sleep(0.1)  # the transfer, in a slot


def main() -> None:
    t0 = time.perf_counter()
    threads = [threading.Thread(target=download, args=(k,), name=f"download-{k}")
               for k in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print(f"6 downloads through 2 slots took {time.perf_counter() - t0:.2f} s", flush=True)


if __name__ == "__main__":
    main()
