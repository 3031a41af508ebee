"""A 16-process multiprocessing Pool mapping a CPU function over a fixed amount of work.

Pool(16) (the platform's default start method, fork on Linux), ITEMS items (argv[1],
default 64) of spin(ITERS), chunksize 1, then close() + join() so every worker exits
normally. Prints "WORK_SECONDS <s>" and "WORK_SPAN_NS <start> <end>"
(time.monotonic_ns) from creating the pool to the last worker joined: worker start-up
and exit (where a tracer saves its data) are part of the measured work.
"""

import multiprocessing
import sys
import time

ITERS = 400_000


def spin(n: int) -> int:
    x = 0
    for i in range(n):
        x += i * i
    return x


def main() -> None:
    items = int(sys.argv[1]) if len(sys.argv) > 1 else 64
    t0 = time.monotonic_ns()
    pool = multiprocessing.Pool(16)
    results = pool.map(spin, [ITERS] * items, chunksize=1)
    pool.close()
    pool.join()
    t1 = time.monotonic_ns()
    assert len(results) == items
    print(f"WORK_SECONDS {(t1 - t0) / 1e9:.6f}\nWORK_SPAN_NS {t0} {t1}", flush=True)


if __name__ == "__main__":
    main()
