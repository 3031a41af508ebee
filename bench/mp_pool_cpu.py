"""CPU per ProcessPoolExecutor round trip (submit + result of a no-op, fork, one worker):
the parent's process_time and the worker's, per call, printed by the script itself.

    python bench/mp_pool_cpu.py 3000                       # plain
    python -m concurtrace run --light bench/mp_pool_cpu.py 3000

Run it plain and under two trees' `concurtrace run --light`, interleaved (bench/README.md,
mpwait section). CPU, not wall: the loop's wall time swings 2-4x on a loaded machine.
"""

import concurrent.futures as cf
import multiprocessing as mp
import sys
import time


def one(x: int) -> int:
    return x


def cpu() -> int:
    return time.process_time_ns()


if __name__ == "__main__":
    calls = int(sys.argv[1])
    with cf.ProcessPoolExecutor(1, mp_context=mp.get_context("fork")) as pool:
        w0 = pool.submit(cpu).result()
        p0 = time.process_time_ns()
        for i in range(calls):
            pool.submit(one, i).result()
        p1 = time.process_time_ns()
        w1 = pool.submit(cpu).result()
    print("PARENT_CPU_NS", (p1 - p0) / calls, "WORKER_CPU_NS", (w1 - w0) / calls)
