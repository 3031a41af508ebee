"""A daemon worker process killed mid-work when the main module returns.

What it demonstrates: a daemonic multiprocessing child is not a background job
that finishes on its own. The main process does about 0.3 s of work and returns;
multiprocessing's exit handler then terminates every live daemonic child with
SIGTERM, so the worker dies in the middle of a computation and its result is
lost (it never prints "worker: done").

What to look for in the timeline:
- MainProcess -> "cruncher" (daemon). The cruncher's slices are cut about
  0.3 s after it started, by a "process_terminated" instant: "cruncher
  terminated by SIGTERM: daemon cleanup at MainProcess exit" (exit code -15).
- The cruncher's state track is "running" right up to the kill: it was busy.
- A flow arrow links MainProcess's exit handler (terminate) to the kill.
"""

import multiprocessing
import time

EXPECT = {
    "exit_code": 0,
    "processes": [
        {"name": "MainProcess", "parent": None, "exit_code": 0, "signal": None},
        {"name": "cruncher", "parent": "MainProcess", "daemon": True, "exit_code": -15,
         "signal": "SIGTERM", "terminated_by": "daemon_cleanup", "traced": True},
    ],
    "threads": [
        {"process": "cruncher", "name": "MainThread", "min_s": 0.15, "max_s": 1.5},
    ],
    # It computes: never blocked. How much of that is on a CPU rather than queued for
    # one depends on the machine's load (0.3 at a load of 12 on 2 cores), so wide bounds.
    "states": [{"process": "cruncher", "thread": "MainThread", "state": "running",
                "min_share": 0.2},
               {"process": "cruncher", "thread": "MainThread", "state": "sleep",
                "max_share": 0.1}],
    "findings": ["daemon_process_terminated"],
}


def count_primes(lo: int, hi: int) -> int:
    """Trial division: deliberately slow, pure-Python CPU work."""
    found = 0
    for n in range(max(lo, 2), hi):
        d = 2
        while d * d <= n:
            if n % d == 0:
                break
            d += 1
        else:
            found += 1
    return found


def crunch() -> None:
    total = 0
    for chunk in range(1000):  # far more than it will ever get through
        total += count_primes(chunk * 50_000, (chunk + 1) * 50_000)
        print(f"worker: chunk {chunk} done, {total} primes so far", flush=True)
    print("worker: done", flush=True)


def main() -> None:
    worker = multiprocessing.Process(target=crunch, name="cruncher", daemon=True)
    worker.start()
    deadline = time.monotonic() + 0.3
    spins = 0
    while time.monotonic() < deadline:  # the main process's own ~0.3 s of work
        spins += 1
    print(f"main: did {spins} spins, returning (the daemon gets SIGTERM now)", flush=True)


if __name__ == "__main__":
    main()
