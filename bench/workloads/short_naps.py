"""Benchmark workload: a thread napping 1-3 ms in a loop next to two CPU-bound threads.

Fixed shape, about 1.2 s, meant for the 2-core machine: "cpu1" and "cpu2" run a
pure-Python loop, "napper" calls time.sleep(0.001..0.003) (cycling 1, 2, 3 ms) until
they are done. Each nap is shorter than or close to the 2 ms sample interval at
500 Hz, and after each nap the napper waits for the GIL behind the CPU threads, so
its state alternates quickly between sleeping and waiting for the GIL (issue 14
item 12: the napper's GIL share was overcounted by 8-15 pp).
"""

import threading
import time

RUN_S = 1.2
NAPS = (0.001, 0.002, 0.003)


def cpu(deadline: float) -> None:
    x = 0
    while time.monotonic() < deadline:
        for i in range(2_000):
            x += i * i


def napper(stop: threading.Event) -> None:
    n = 0
    while not stop.is_set():
        time.sleep(NAPS[n % 3])
        n += 1


def main() -> None:
    deadline = time.monotonic() + RUN_S
    stop = threading.Event()
    cpus = [threading.Thread(target=cpu, args=(deadline,), name=f"cpu{i}") for i in (1, 2)]
    nap = threading.Thread(target=napper, args=(stop,), name="napper")
    nap.start()
    for t in cpus:
        t.start()
    for t in cpus:
        t.join()
    stop.set()
    nap.join()


if __name__ == "__main__":
    main()
