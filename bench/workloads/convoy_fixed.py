"""The gil_convoy scenario with a fixed amount of work instead of a fixed duration.

scenarios/gil_convoy.py runs for fixed times (0.3 s + 1.0 s), so its wall time cannot
show overhead. Here a "cpu" thread runs CHUNKS chunks (argv[1], default 2000) of the
scenario's 10,000-iteration loop while a "sleeper" thread naps 1 ms in a loop until the
CPU thread is done (the convoy: each wake-up waits for the GIL). Prints
"WORK_SECONDS <s>" (from starting both threads to the CPU thread's end),
"WORK_SPAN_NS <start> <end>" (time.monotonic_ns) and "NAPS <n>" (the sleeper's
iterations, informative only).
"""

import sys
import threading
import time


def sleeper(stop: threading.Event, result: list[int]) -> None:
    naps = 0
    while not stop.is_set():
        time.sleep(0.001)
        naps += 1
    result.append(naps)


def cpu(chunks: int) -> int:
    x = 0
    for _ in range(chunks):
        for i in range(10_000):
            x += i * i
    return x


def main() -> None:
    chunks = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    stop = threading.Event()
    naps: list[int] = []
    hog = threading.Thread(target=cpu, args=(chunks,), name="cpu")
    nap = threading.Thread(target=sleeper, args=(stop, naps), name="sleeper")
    t0 = time.monotonic_ns()
    nap.start()
    hog.start()
    hog.join()
    t1 = time.monotonic_ns()
    stop.set()
    nap.join()
    print(f"WORK_SECONDS {(t1 - t0) / 1e9:.6f}\nWORK_SPAN_NS {t0} {t1}\nNAPS {naps[0]}",
          flush=True)


if __name__ == "__main__":
    main()
