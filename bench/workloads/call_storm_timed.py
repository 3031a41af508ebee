"""call_storm.py with its own timing, for bench/overhead.py: N calls (argv[1], default 300,000).

Prints "WORK_SECONDS <s>" and "WORK_SPAN_NS <start> <end>" (time.monotonic_ns, which is
CLOCK_MONOTONIC and so comparable with the parent's clock) for the storm only.
"""

import sys
import time

from call_storm import f  # the same recursive function, from the next file

if __name__ == "__main__":
    total = int(sys.argv[1]) if len(sys.argv) > 1 else 300_000
    t0 = time.monotonic_ns()
    for _ in range(total // 20):
        f(20)
    t1 = time.monotonic_ns()
    print(f"WORK_SECONDS {(t1 - t0) / 1e9:.6f}\nWORK_SPAN_NS {t0} {t1}", flush=True)
