"""Two multiprocessing children, one daemon: the daemon is killed when main returns.

What it demonstrates: the main module starts "vocal" (daemon=True) and
"movement" and returns without joining. At exit, multiprocessing's exit handler
first terminates (SIGTERM) every daemonic child that is still alive, then joins
the others. So "vocal" is killed a few ms after main returns, having printed at most
its pid line and its first song (the rest of its output is missing), while
"movement" runs to completion.

What to look for in the timeline:
- The process tree: MainProcess -> Process-1 (daemon, "vocal") and Process-2
  ("movement"); children are named by multiprocessing's default names.
- Process-1 ends with "terminated by SIGTERM: daemon cleanup at MainProcess
  exit" (exit code -15), a few ms after the main module returned.
- MainProcess stays alive about 1 s, "waiting for child" in join() at exit,
  until Process-2 exits 0.
- The start method is the platform default (fork on Linux up to 3.13,
  forkserver from 3.14, spawn on macOS and Windows).
"""

import multiprocessing
import os
import time

EXPECT = {
    "exit_code": 0,
    "processes": [
        {"name": "MainProcess", "parent": None, "exit_code": 0, "signal": None},
        {"name": "Process-1", "parent": "MainProcess", "daemon": True, "exit_code": -15,
         "signal": "SIGTERM", "terminated_by": "daemon_cleanup"},
        {"name": "Process-2", "parent": "MainProcess", "daemon": False, "exit_code": 0,
         "signal": None, "terminated_by": None},
    ],
    "threads": [{"process": "Process-2", "name": "MainThread", "min_s": 0.8, "max_s": 3.0}],
    "findings": ["daemon_process_terminated"],
}


def sing(artist: str) -> None:
    print(f"vocal: pid {os.getpid()}, parent pid {os.getppid()}", flush=True)
    for n in range(1, 4):
        print(f"{artist} performing song... {n} time(s)", flush=True)
        time.sleep(0.5)


def dance(performer: str) -> None:
    for _ in range(2):
        print(f"{performer} dancing...", flush=True)
        time.sleep(0.5)


def main() -> None:
    print(f"main: pid {os.getpid()}", flush=True)
    multiprocessing.Process(target=sing, args=("Freddie",), daemon=True).start()
    multiprocessing.Process(target=dance, args=("Brian",)).start()
    # No join(): at exit, Process-1 (daemon) is terminated and Process-2 is joined.


if __name__ == "__main__":
    main()
