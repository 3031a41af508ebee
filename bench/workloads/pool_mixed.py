"""Thread pool doing mixed CPU and I/O work, a fixed amount (about 1 s untraced).

ThreadPoolExecutor(8) runs TASKS tasks (argv[1], default 96) that alternate: even
tasks are pure-Python CPU loops (crunch() called 10 times), odd tasks block, in
turn, in time.sleep(5 ms), a 256 KB file write + fsync-free read back, or a pipe
round trip through a helper thread. Prints "WORK_SECONDS <s>" and
"WORK_SPAN_NS <start> <end>" (time.monotonic_ns) for the pool's lifetime.
"""

import os
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor

CPU_ITERS = 40_000  # per crunch() call; 10 calls per CPU task
BLOCK = os.urandom(256 * 1024)


def crunch(n: int) -> int:
    x = 0
    for i in range(n):
        x += i * i
    return x


def cpu_task() -> int:
    return sum(crunch(CPU_ITERS) for _ in range(10))


def pipe_round_trip() -> int:
    r, w = os.pipe()
    feeder = threading.Thread(target=lambda: (time.sleep(0.002), os.write(w, BLOCK[:4096])))
    feeder.start()
    got = len(os.read(r, 4096))  # blocks until the feeder writes
    feeder.join()
    os.close(r)
    os.close(w)
    return got


def io_task(k: int, directory: str) -> int:
    kind = k % 3
    if kind == 0:
        time.sleep(0.005)
        return 0
    if kind == 1:
        path = os.path.join(directory, f"block-{k}")
        with open(path, "wb") as out:
            out.write(BLOCK)
        with open(path, "rb") as back:
            return len(back.read())
    return pipe_round_trip()


def task(k: int, directory: str) -> int:
    return cpu_task() if k % 2 == 0 else io_task(k // 2, directory)


def main() -> None:
    tasks = int(sys.argv[1]) if len(sys.argv) > 1 else 96
    with tempfile.TemporaryDirectory() as directory:
        t0 = time.monotonic_ns()
        with ThreadPoolExecutor(8) as pool:
            results = list(pool.map(task, range(tasks), [directory] * tasks))
        t1 = time.monotonic_ns()
    assert len(results) == tasks
    print(f"WORK_SECONDS {(t1 - t0) / 1e9:.6f}\nWORK_SPAN_NS {t0} {t1}", flush=True)


if __name__ == "__main__":
    main()
