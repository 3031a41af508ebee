"""Benchmark workload for the sampler-overhead measurement: two CPU-bound
pure-Python threads, a fixed amount of work each (no sleeps, no I/O).

Prints "WORK_WALL_S <seconds>": the wall time of the threaded part only, so
interpreter start-up and concurtrace's own start-up and trace writing are not
counted (bench/sampler_overhead.py also records the whole command's time).
"""

import sys
import threading
import time

N = int(sys.argv[1]) if len(sys.argv) > 1 else 4_000_000


def spin(n: int) -> int:
    x = 0
    i = 0
    while i < n:
        x += i * i
        i += 1
    return x


def main() -> None:
    threads = [threading.Thread(target=spin, args=(N,), name=f"cpu-{k}") for k in range(2)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print(f"WORK_WALL_S {time.perf_counter() - t0:.6f}", flush=True)


if __name__ == "__main__":
    main()
