"""The whole traced child's instructions per echo request under --light (issue 17), counted
by valgrind (callgrind), not timed: a count does not move with the machine's load.

    .venv/bin/python bench/asyncio_child_instr.py [--trees NEW_SRC,OLD_SRC] [--requests 1000,3000]

bench/workloads/asyncio_echo.py runs plainly and as a traced child of a --light session of
each tree (bench/startup.py's child(): the session's sitecustomize and config, no parent:
the recorder, the sync and asyncio hooks, the records written to real files), at two
request counts; the difference between them is per request, so start-up, the hooks'
install and the exit's writes do not count. User-space instructions only (the kernel's
loopback, epoll and page faults are not in them): the ratio to plain is an upper bound of
the CPU-time ratio. Asks --light's await budget (4 a ms) as it is: under valgrind the
program runs ~50x slower, so more of its steps are named than in a real run.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
from pathlib import Path

from startup import child

BENCH = Path(__file__).parent
ECHO = BENCH / "workloads" / "asyncio_echo.py"


# --walks N: --light's budget of awaits named set before asyncio is imported (so before the
# hooks' install): under valgrind its 4 a ms name more steps, and more in the faster tree
# --timescale K: the hooks' time-based work (the loop counters' check once a ms and sample
# per 10 ms, a batch written when 50 ms old) K times rarer, as at the program's real speed:
# valgrind runs it ~50-100x slower, so a ms is a request or two instead of ~17
WITH_WALKS = ("import runpy, sys\n"
              "from concurtrace.runner import hooks_asyncio_steps as steps\n"
              "from concurtrace.runner import hooks_asyncio_loop as loop\n"
              "from concurtrace.runner import hooks_asyncio_state as state\n"
              "scale = int(sys.argv.pop())\n"
              "for module in (loop, state):\n"
              "    for name in ('CHECK_NS', 'SAMPLE_NS', 'BATCH_NS'):\n"
              "        if hasattr(module, name):\n"
              "            setattr(module, name, getattr(module, name) * scale)\n"
              "steps.WALKS = int(sys.argv.pop())\n"
              "sys.argv[0] = {echo!r}\n"
              "runpy.run_path({echo!r}, run_name='__main__')\n")


def _instructions(prefix: list[str], requests: int, walks: str = "-", scale: int = 1) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        env_part = prefix[:3] if prefix[0] == "env" else []  # env SESSION=... PYTHONPATH=...
        program = [str(ECHO), str(requests)] if walks == "-" or not env_part else \
            ["-c", WITH_WALKS.format(echo=str(ECHO)), str(requests), walks, str(scale)]
        done = subprocess.run(
            [*env_part, "valgrind", "--tool=callgrind", f"--callgrind-out-file={tmp}/out",
             sys.executable, *program],
            capture_output=True, text=True, timeout=1800)
    found = re.search(r"Collected\s*:\s*(\d+)", done.stderr) \
        or re.search(r"I\s+refs:\s+([\d,]+)", done.stderr)
    if done.returncode != 0 or found is None:
        raise SystemExit(f"valgrind failed: {done.stderr[-800:]}")
    return int(found.group(1).replace(",", ""))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--trees", default=str(BENCH.parent / "src"))
    parser.add_argument("--requests", default="1000,3000")
    parser.add_argument("--walks", default="-", help="--light's awaits named a ms (- : as is)")
    parser.add_argument("--timescale", type=int, default=1,
                        help="the hooks' ms/10 ms/50 ms periods this many times longer "
                             "(with --walks: as at real speed under valgrind's slowdown)")
    args = parser.parse_args()
    low, high = (int(n) for n in args.requests.split(","))
    with tempfile.TemporaryDirectory() as tmp:
        plain = (_instructions([sys.executable], high)
                 - _instructions([sys.executable], low)) / (high - low)
        print(f"plain: {plain:,.0f} instructions per request ({sys.version.split()[0]})")
        for n, src in enumerate(args.trees.split(",")):
            command = child(Path(tmp) / str(n), "s", Path(src) / "concurtrace")
            per = (_instructions(command, high, args.walks, args.timescale)
                   - _instructions(command, low, args.walks, args.timescale)) / (high - low)
            print(f"--light child ({src}, walks {args.walks}, timescale {args.timescale}): "
                  f"{per:,.0f} per request, "
                  f"x{per / plain:.3f} plain, +{per - plain:,.0f}", flush=True)


if __name__ == "__main__":
    main()
