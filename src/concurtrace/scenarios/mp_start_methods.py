"""One child per start method: fork, spawn and forkserver, via get_context().

What it demonstrates: the three ways multiprocessing creates a process and
what they cost. fork copies the parent (fast, starts running at once); spawn
starts a fresh interpreter and re-imports the main module as "__mp_main__"
(slow: 50-100 ms); forkserver asks a helper process, started on first use, to
fork the child, so the child's OS parent is the forkserver, not MainProcess.

What to look for in the timeline:
- The tree: MainProcess -> ForkProcess-1, SpawnProcess-2, ForkServerProcess-3
  (the logical parent is MainProcess for all three; the forkserver child's
  OS parent, shown as a detail, is the "forkserver (multiprocessing)" process).
- Helper processes: "forkserver (multiprocessing)" and "resource tracker
  (multiprocessing)" (started by spawn and forkserver), marked infrastructure.
- The gap between start() and each child's first slice (flow arrows): tiny for
  fork, large for spawn.
"""

import multiprocessing
import os
import time

EXPECT = {
    "exit_code": 0,
    "processes": [
        {"name": "MainProcess", "parent": None, "exit_code": 0},
        {"name": "ForkProcess-1", "parent": "MainProcess", "start_method": "fork",
         "exit_code": 0},
        {"name": "SpawnProcess-2", "parent": "MainProcess", "start_method": "spawn",
         "exit_code": 0},
        {"name": "ForkServerProcess-3", "parent": "MainProcess",
         "start_method": "forkserver", "exit_code": 0},
    ],
    "min_processes": 4,
}


def child(method: str, started: float) -> None:
    delay_ms = (time.time() - started) * 1000
    print(f"{method:10}: pid {os.getpid()}, OS parent {os.getppid()}, "
          f"running {delay_ms:.0f} ms after start()", flush=True)
    time.sleep(0.1)


def main() -> None:
    print(f"MainProcess: pid {os.getpid()}", flush=True)
    contexts = (
        multiprocessing.get_context("fork"),
        multiprocessing.get_context("spawn"),
        multiprocessing.get_context("forkserver"),
    )
    for ctx in contexts:
        p = ctx.Process(target=child, args=(ctx.get_start_method(), time.time()))
        p.start()
        p.join()


if __name__ == "__main__":
    main()
