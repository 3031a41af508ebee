"""Daemon threads abandoned at interpreter exit: one sleeping, one computing.

What it demonstrates: when the main module returns, the interpreter does not
wait for daemon threads; they are frozen where they are and never run again
(no finally blocks, no cleanup). "heartbeat" is abandoned while sleeping,
"cruncher" while computing in pure Python.

What to look for in the timeline:
- MainProcess has MainThread (about 0.5 s of work), "heartbeat" and "cruncher".
- Both daemon threads end with a "thread_abandoned" instant at process exit,
  not a normal thread exit; their last slice is cut, not completed.
- "heartbeat" is "sleeping" in its state track, "cruncher" is "running" or
  "waiting for GIL" (it competes with MainThread for the GIL).
"""

import threading
import time

EXPECT = {
    "exit_code": 0,
    "processes": [{"name": "MainProcess", "parent": None, "exit_code": 0}],
    "threads": [
        {"process": "MainProcess", "name": "heartbeat", "daemon": True, "abandoned": True,
         "min_s": 0.3, "max_s": 2.0},
        {"process": "MainProcess", "name": "cruncher", "daemon": True, "abandoned": True,
         "min_s": 0.3, "max_s": 2.0},
        {"process": "MainProcess", "name": "MainThread", "daemon": False,
         "abandoned": False},
    ],
    "states": [{"process": "MainProcess", "thread": "heartbeat", "state": "sleep",
                "min_share": 0.5}],
    "findings": ["daemon_thread_abandoned"],
}


def heartbeat() -> None:
    beats = 0
    try:
        while True:
            beats += 1
            if beats <= 3:  # then quiet: at exit it is asleep, not waiting for the GIL in print
                print(f"heartbeat {beats}", flush=True)
            time.sleep(0.15)
    finally:
        print("heartbeat: cleanup (never printed)", flush=True)


def cruncher() -> None:
    x = 0
    n = 0
    while True:  # pure-Python work forever
        x = (x * 31 + n) % 1_000_003
        n += 1


def main() -> None:
    threading.Thread(target=heartbeat, name="heartbeat", daemon=True).start()
    threading.Thread(target=cruncher, name="cruncher", daemon=True).start()
    deadline = time.monotonic() + 0.5
    while time.monotonic() < deadline:  # main's own work, sharing the GIL with cruncher
        sum(range(1000))
    print("main: returning; the daemon threads are abandoned", flush=True)


if __name__ == "__main__":
    main()
