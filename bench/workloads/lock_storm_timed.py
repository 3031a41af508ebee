"""The lock storm of issue 16, timed for bench/overhead.py: 4 threads take one
threading.Lock N times each (argv[1], default 200,000) around a counter update.

Prints "WORK_SECONDS <s>" and "WORK_SPAN_NS <start> <end>" (time.monotonic_ns) for the
threads' work only.
"""

import sys
import threading
import time

LOCK = threading.Lock()
count = 0


def storm(rounds: int) -> None:
    global count
    for _ in range(rounds):
        with LOCK:
            count += 1


if __name__ == "__main__":
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 200_000
    threads = [threading.Thread(target=storm, args=(rounds,)) for _ in range(4)]
    t0 = time.monotonic_ns()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    t1 = time.monotonic_ns()
    assert count == 4 * rounds
    print(f"WORK_SECONDS {(t1 - t0) / 1e9:.6f}\nWORK_SPAN_NS {t0} {t1}", flush=True)
