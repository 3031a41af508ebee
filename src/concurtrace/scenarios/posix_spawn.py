"""os.posix_spawn of a Python child (no fork of the parent's memory).

What it demonstrates: posix_spawn creates the child and runs the new program
in one step (vfork/clone + exec inside libc), the cheap way to start a
program from a big parent; subprocess uses it too when it can. The parent
waits with os.waitpid; the child exits with status 0.

What to look for in the timeline:
- The tree: MainProcess -> "python -c", a traced Python process.
- MainProcess "waiting for child" while the child sleeps 0.2 s.
"""

import os
import sys

EXPECT = {
    "exit_code": 0,
    "processes": [
        {"name": "MainProcess", "parent": None, "exit_code": 0},
        {"name": "python -c", "parent": "MainProcess", "exit_code": 0, "traced": True},
    ],
    "threads": [{"process": "python -c", "name": "MainThread", "min_s": 0.15, "max_s": 2.0}],
}

CODE = "import os, time; print(f'spawned child: pid {os.getpid()}', flush=True); time.sleep(0.2)"


def main() -> None:
    pid = os.posix_spawn(sys.executable, [sys.executable, "-c", CODE], dict(os.environ))
    _, status = os.waitpid(pid, 0)
    print(f"parent: child {pid} exit code {os.waitstatus_to_exitcode(status)}", flush=True)


if __name__ == "__main__":
    main()
