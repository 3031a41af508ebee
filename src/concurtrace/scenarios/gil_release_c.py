"""C code that releases the GIL runs in parallel: hashlib and zlib next to Python.

What it demonstrates: hashlib.sha256().update() on a large buffer and
zlib.compress() release the GIL while they work, so the "sha256" and "zlib"
threads run in parallel with each other and with the pure-Python "python"
thread; the process uses more than one core. Only pure-Python code is
serialised by the GIL.

What to look for in the timeline:
- MainProcess: threads "sha256", "zlib" and "python".
- "sha256" and "zlib" are "running" most of the time, with little "waiting for
  GIL" (only briefly between C calls); on a 2-core machine some "waiting for
  CPU" appears since three busy threads share two cores.
- The "CPU %" counter of MainProcess goes above 100 %.
- The printed CPU time of the process exceeds its wall time.
"""

import hashlib
import os
import threading
import time
import zlib

EXPECT = {
    "exit_code": 0,
    "processes": [{"name": "MainProcess", "parent": None, "exit_code": 0}],
    "threads": [
        {"process": "MainProcess", "name": "sha256", "min_s": 0.1, "max_s": 2.5},
        {"process": "MainProcess", "name": "zlib", "min_s": 0.1, "max_s": 2.5},
        {"process": "MainProcess", "name": "python", "min_s": 0.1, "max_s": 2.5},
    ],
    "gil": [
        {"process": "MainProcess", "thread": "sha256", "max_share": 0.4},
        {"process": "MainProcess", "thread": "zlib", "max_share": 0.4},
    ],
}

MIB = 1 << 20
BUF = os.urandom(MIB) * 16  # 16 MiB: zlib level 1 takes about 0.35 s on it


def hash_it(rounds: int) -> None:
    big = BUF * 4  # 64 MiB per call (~40 ms): few GIL re-acquisitions
    for _ in range(rounds):
        hashlib.sha256(big).hexdigest()


def compress_it(rounds: int) -> None:
    for _ in range(rounds):
        zlib.compress(BUF, 1)


def python_loop(n: int) -> None:
    x = 0
    for i in range(n):
        x += i * i


def main() -> None:
    threads = [
        threading.Thread(target=hash_it, args=(8,), name="sha256"),
        threading.Thread(target=compress_it, args=(1,), name="zlib"),
        threading.Thread(target=python_loop, args=(3_000_000,), name="python"),
    ]
    wall0, cpu0 = time.perf_counter(), time.process_time()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    print(f"wall {wall:.2f} s, process CPU {cpu:.2f} s ({cpu / wall:.1f} cores busy)", flush=True)


if __name__ == "__main__":
    main()
