"""Two threads, one daemon: the main module returns without joining either.

What it demonstrates: after the main module returns, the interpreter joins
every non-daemon thread ("choreography", 5 x 0.2 s) before it exits; a daemon
thread ("vocal", 3 x 0.2 s) is never joined, it simply finishes here because it
is shorter than the non-daemon one.

What to look for in the timeline:
- MainProcess has three threads: MainThread, "vocal" (daemon) and "choreography".
- MainThread's own work ends almost at once; the process stays alive about 1 s,
  until "choreography" ends (the interpreter's shutdown joins it).
- "vocal" and "choreography" are mostly "sleeping" in their state tracks.
- "vocal" is not abandoned: it ended on its own after about 0.6 s.
Change vocal's loop to 10 iterations and it becomes an abandoned daemon thread.
"""

import threading
import time

EXPECT = {
    "exit_code": 0,
    "processes": [{"name": "MainProcess", "parent": None, "exit_code": 0, "signal": None}],
    "threads": [
        {"process": "MainProcess", "name": "MainThread", "daemon": False},
        {"process": "MainProcess", "name": "vocal", "daemon": True, "abandoned": False,
         "min_s": 0.5, "max_s": 1.5},
        {"process": "MainProcess", "name": "choreography", "daemon": False,
         "abandoned": False, "min_s": 0.9, "max_s": 2.5},
    ],
    "states": [{"process": "MainProcess", "thread": "choreography", "state": "sleep",
                "min_share": 0.5}],
    "no_findings": ["daemon_thread_abandoned"],
}


def sing() -> None:
    for _ in range(3):
        print("Singing...", flush=True)
        time.sleep(0.2)


def dance() -> None:
    for _ in range(5):
        print("Dancing...", flush=True)
        time.sleep(0.2)


def main() -> None:
    threading.Thread(target=sing, name="vocal", daemon=True).start()
    threading.Thread(target=dance, name="choreography").start()
    # No join(): the interpreter waits for "choreography" at exit, not for "vocal".


if __name__ == "__main__":
    main()
