"""Non-Python children: `sleep 0.3` and `sh -c "sleep 0.2; true"`.

What it demonstrates: children that concurtrace cannot trace from inside are
still in the process tree, seen from outside (psutil and /proc): their
lifetimes, exit codes and parent links, but no function slices. The shell
forks its own `sleep` (a grandchild) because `sleep` is not its last command.

What to look for in the timeline:
- The tree: MainProcess -> sleep, and MainProcess -> sh -> sleep.
- These processes are marked untraced (no slices, only lifecycle and samples);
  their state tracks are "sleeping" / "waiting for child".
"""

import subprocess

EXPECT = {
    "exit_code": 0,
    "processes": [
        {"name": "MainProcess", "parent": None, "exit_code": 0},
        {"name": "sleep", "parent": "MainProcess", "exit_code": 0, "traced": False},
        {"name": "sh", "parent": "MainProcess", "exit_code": 0, "traced": False},
        {"name": "sleep", "parent": "sh", "traced": False},  # exit code: only sh sees it
    ],
    "min_processes": 4,
}


def main() -> None:
    subprocess.run(["sleep", "0.3"], check=True)
    subprocess.run(["sh", "-c", "sleep 0.2; true"], check=True)
    print("both non-Python children exited 0", flush=True)


if __name__ == "__main__":
    main()
