"""Three workers compute in phases and meet at a threading.Barrier after each phase.

What it demonstrates: a barrier makes every thread wait for the slowest one.
"worker-0", "worker-1" and "worker-2" run three phases; worker k works
(k + 1) x 40 ms per phase, then waits at the barrier. worker-2 is always the last
to arrive: its arrival releases the other two, which spend most of their lives
waiting for it. The barrier's action prints the end of each phase.

What to look for in the timeline:
- worker-0 and worker-1 "sync" tracks: "waiting at Barrier@barrier_phases.py:41
  (PHASE) for 3 threads", outcome "passed", released by worker-2; an arrow from
  worker-2's "arrived last at Barrier@..." to each "resumed: passed".
- The Synchronization section: the barrier, its 6 waits, ended by worker-2.
"""

import threading
import time

EXPECT = {
    "exit_code": 0,
    "processes": [{"name": "MainProcess", "parent": None, "exit_code": 0}],
    "threads": [
        {"process": "MainProcess", "name_prefix": "worker-", "count": 3, "min_s": 0.3,
         "max_s": 3.0},
    ],
    "no_findings": ["deadlock", "lock_contention"],
    "sync": [
        {"label_regex": r"Barrier@barrier_phases\.py:\d+ \(PHASE\)", "min_waits": 6,
         "min_waiters": 2, "outcomes": ["passed"], "ended_by_prefix": "worker-2"},
    ],
    "sync_slices": [
        {"track_regex": r"worker-[01] sync", "min_count": 6,
         "name_regex": r"waiting at Barrier@barrier_phases\.py:\d+ \(PHASE\) for 3 threads",
         "outcome": "passed", "releaser_prefix": "worker-2"},
        {"flow_src_regex": r"arrived last at Barrier@barrier_phases\.py:\d+ \(PHASE\)",
         "name_regex": "resumed: passed", "min_count": 6},
    ],
}

PHASES = 3
PHASE = threading.Barrier(3, action=lambda: print("phase done", flush=True))


def worker(k: int) -> None:
    for phase in range(PHASES):
        time.sleep((k + 1) * 0.04)  # this phase's work; worker-2 is the slowest
        PHASE.wait()
        if k == 0:
            print(f"all workers passed phase {phase + 1}", flush=True)


def main() -> None:
    threads = [threading.Thread(target=worker, args=(k,), name=f"worker-{k}") for k in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


if __name__ == "__main__":
    main()
