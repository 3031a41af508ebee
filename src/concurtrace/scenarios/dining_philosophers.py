"""Five philosophers share five forks (locks); each takes the lower-numbered fork first.

What it demonstrates: lock ordering prevents the classic deadlock, and the forks
are still contended. Philosopher k needs forks k and k+1 (philosopher 4: forks 4
and 0); each takes the lower-numbered one first, so no cycle of waits can form
and the dinner ends. Each eats three times, 60 ms a meal (sleeping, holding both
forks), and thinks 10 ms between meals: neighbours wait for each other's forks.
Take the forks in "left, then right" order instead and all five can hold one fork
each and wait forever (deadlock_abba shows that cycle with two locks).

What to look for in the timeline:
- Each philosopher's "<thread> sync" track: "waiting for
  Lock@dining_philosophers.py:48, held by philosopher-N" (a neighbour), the
  "holding Lock@... (1 waiting)" intervals, and an arrow from each neighbour's
  release to where the waiter resumed.
- The Synchronization section: one row for the five forks
  ("Lock@dining_philosophers.py:48 (5 objects made there)"), and the
  lock_contention finding (each philosopher waits about half its life), no deadlock.
"""

import threading
import time

EXPECT = {
    "exit_code": 0,
    "processes": [{"name": "MainProcess", "parent": None, "exit_code": 0}],
    "threads": [
        {"process": "MainProcess", "name_prefix": "philosopher-", "count": 5, "min_s": 0.2,
         "max_s": 3.0},
    ],
    "findings": ["lock_contention"],
    "no_findings": ["deadlock"],
    "sync": [
        {"label_regex": r"Lock@dining_philosophers\.py:\d+", "min_instances": 5,
         "min_waits": 5, "min_waiters": 3, "outcomes": ["acquired"],
         "ended_by_prefix": "philosopher-"},
    ],
    "sync_slices": [
        {"track_regex": r"philosopher-\d sync", "min_count": 5,
         "name_regex": r"waiting for Lock@dining_philosophers\.py:\d+, held by philosopher-\d",
         "outcome": "acquired", "releaser_prefix": "philosopher-"},
        {"flow_src_regex": r"released Lock@dining_philosophers\.py:\d+",
         "name_regex": "resumed: acquired", "min_count": 5},
    ],
}

SEATS = 5
FORKS = [threading.Lock() for _ in range(SEATS)]
MEALS = 3


def philosopher(seat: int) -> None:
    low, high = sorted((seat, (seat + 1) % SEATS))  # the lower-numbered fork first
    for meal in range(MEALS):
        with FORKS[low], FORKS[high]:
            time.sleep(0.06)  # eating, with both forks
        print(f"philosopher-{seat} finished meal {meal + 1}", flush=True)
        time.sleep(0.01)  # thinking


def main() -> None:
    t0 = time.perf_counter()
    diners = [threading.Thread(target=philosopher, args=(k,), name=f"philosopher-{k}")
              for k in range(SEATS)]
    for t in diners:
        t.start()
    for t in diners:
        t.join()
    print(f"dinner over in {time.perf_counter() - t0:.2f} s, nobody starved", flush=True)


if __name__ == "__main__":
    main()
