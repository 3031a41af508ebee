"""Raw os.fork(): a child that exits with os._exit(0), and a child that execs Python.

What it demonstrates: the low-level process calls under multiprocessing and
subprocess. The first child is a copy of the parent that does a little work
and leaves with os._exit(0) (no atexit handlers, no buffer flushes, which is
why everything is printed with flush=True). The second child replaces itself
with a new Python via os.execv. The parent reaps both with os.waitpid.

What to look for in the timeline:
- The tree: MainProcess -> "MainProcess (fork)" (a fork child that did not
  exec keeps its parent's name) and "python -c" (the exec'd child: same pid
  as the fork, new program).
- MainProcess "waiting for child" in waitpid.
"""

import os
import sys
import time

EXPECT = {
    "exit_code": 0,
    "processes": [
        {"name": "MainProcess", "parent": None, "exit_code": 0},
        {"name": "MainProcess (fork)", "parent": "MainProcess", "exit_code": 0},
        {"name": "python -c", "parent": "MainProcess", "exit_code": 0},
    ],
    "min_processes": 3,
}


def main() -> None:
    print(f"parent: pid {os.getpid()}", flush=True)
    sys.stdout.flush()
    pid1 = os.fork()
    if pid1 == 0:
        print(f"fork child: pid {os.getpid()}, parent {os.getppid()}", flush=True)
        time.sleep(0.2)
        os._exit(0)

    pid2 = os.fork()
    if pid2 == 0:
        code = "import os, time; time.sleep(0.2); print(f'exec child: pid {os.getpid()}')"
        os.execv(sys.executable, [sys.executable, "-c", code])

    for pid in (pid1, pid2):
        _, status = os.waitpid(pid, 0)
        print(f"parent: child {pid} exit code {os.waitstatus_to_exitcode(status)}", flush=True)


if __name__ == "__main__":
    main()
