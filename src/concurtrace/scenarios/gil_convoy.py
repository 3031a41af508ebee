"""The convoy effect: a thread that sleeps 1 ms in a loop stalls behind a CPU thread.

What it demonstrates: time.sleep releases the GIL, but waking up needs it back.
Next to a CPU-bound thread, every 1 ms nap of "sleeper" is followed by a wait of
up to the switch interval (5 ms) for the GIL, so it manages far fewer
iterations than "sleeper-alone", which runs the same loop with no competition.

What to look for in the timeline:
- MainProcess: "sleeper-alone" (about 0.3 s on its own), then "cpu" and
  "sleeper" side by side (about 1.1 s).
- "sleeper"'s state track: short "sleeping" slices each followed by a longer
  "waiting for GIL" slice; "sleeper-alone" is almost only "sleeping".
- "cpu" is mostly "running"; it gives up the GIL only when "sleeper" asks.
- The printed iteration rates: alone ~900/s, with the CPU thread far fewer.
"""

import threading
import time

EXPECT = {
    "exit_code": 0,
    "processes": [{"name": "MainProcess", "parent": None, "exit_code": 0}],
    "threads": [
        {"process": "MainProcess", "name": "sleeper-alone", "min_s": 0.25, "max_s": 1.0},
        {"process": "MainProcess", "name": "sleeper", "min_s": 0.9, "max_s": 2.5},
        {"process": "MainProcess", "name": "cpu", "min_s": 0.9, "max_s": 2.5},
    ],
    "gil": [
        {"process": "MainProcess", "thread": "sleeper", "min_share": 0.25},
        {"process": "MainProcess", "thread": "sleeper-alone", "max_share": 0.2},
        {"process": "MainProcess", "thread": "cpu", "max_share": 0.35},
    ],
    "states": [{"process": "MainProcess", "thread": "sleeper-alone", "state": "sleep",
                "min_share": 0.5}],
}


def sleeper(seconds: float, result: list[int]) -> None:
    deadline = time.monotonic() + seconds
    naps = 0
    while time.monotonic() < deadline:
        time.sleep(0.001)
        naps += 1
    result.append(naps)


def cpu(stop: threading.Event) -> None:
    x = 0
    while not stop.is_set():
        for i in range(10_000):
            x += i * i


def main() -> None:
    alone: list[int] = []
    t = threading.Thread(target=sleeper, args=(0.3, alone), name="sleeper-alone")
    t.start()
    t.join()
    print(f"sleeper alone          : {alone[0] / 0.3:6.0f} naps/s", flush=True)

    stop = threading.Event()
    contended: list[int] = []
    hog = threading.Thread(target=cpu, args=(stop,), name="cpu")
    s = threading.Thread(target=sleeper, args=(1.0, contended), name="sleeper")
    hog.start()
    s.start()
    s.join()
    stop.set()
    hog.join()
    print(f"sleeper next to CPU hog: {contended[0] / 1.0:6.0f} naps/s", flush=True)


if __name__ == "__main__":
    main()
