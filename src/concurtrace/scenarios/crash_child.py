"""Four ways a child process dies: exception, os._exit(3), kill(), segfault.

What it demonstrates: a child's exit status tells how it died, and the parent
survives all of them. "raiser" raises an uncaught exception (exit code 1, the
traceback goes to stderr), "exiter" calls os._exit(3) (exit code 3, no cleanup),
"victim" is SIGKILLed by its parent with p.kill() (-9), "segfaulter" reads
address 0 with ctypes.string_at(0) (SIGSEGV, -11). The parent joins all four,
prints their exit codes and exits 0.

What to look for in the timeline:
- MainProcess -> raiser, exiter, victim, segfaulter, each with a
  "process_exit" / "process_terminated" instant carrying its exit code or signal.
- A flow arrow from p.kill() in MainProcess to victim's "terminated by SIGKILL".
- The "nonzero_exit" findings; MainProcess itself exits 0.
"""

import ctypes
import multiprocessing
import os
import time

EXPECT = {
    "exit_code": 0,
    "processes": [
        {"name": "MainProcess", "parent": None, "exit_code": 0, "signal": None},
        {"name": "raiser", "parent": "MainProcess", "exit_code": 1, "signal": None,
         "terminated_by": None},
        {"name": "exiter", "parent": "MainProcess", "exit_code": 3, "signal": None,
         "terminated_by": None},
        {"name": "victim", "parent": "MainProcess", "exit_code": -9, "signal": "SIGKILL",
         "terminated_by": "kill"},
        {"name": "segfaulter", "parent": "MainProcess", "exit_code": -11,
         "signal": "SIGSEGV"},
    ],
    "findings": ["nonzero_exit"],
}


def raise_error() -> None:
    raise RuntimeError("raiser: something went wrong")


def exit_three() -> None:
    print("exiter: leaving with os._exit(3)", flush=True)
    os._exit(3)


def sleep_long() -> None:
    print("victim: sleeping 10 s (will be killed)", flush=True)
    time.sleep(10)


def segfault() -> None:
    print("segfaulter: reading address 0", flush=True)
    ctypes.string_at(0)


def main() -> None:
    targets = [
        ("raiser", raise_error),
        ("exiter", exit_three),
        ("victim", sleep_long),
        ("segfaulter", segfault),
    ]
    children = [multiprocessing.Process(target=t, name=name) for name, t in targets]
    for child in children:
        child.start()
    time.sleep(0.3)
    children[2].kill()  # SIGKILL the sleeping victim
    for child in children:
        child.join()
    for child in children:
        print(f"{child.name}: exitcode {child.exitcode}", flush=True)


if __name__ == "__main__":
    main()
