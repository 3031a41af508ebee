"""The asyncio hooks' cost per echo request in machine instructions (issue 17), counted by
valgrind (cachegrind, no cache simulation), not timed: a count does not move with the
machine's load, which at load 8-12 on 2 shared cores swings CPU times by 2x.

    .venv/bin/python bench/asyncio_instr.py [--trees NEW_SRC,OLD_SRC] [--walks N]

For each tree (a src/ directory; default: this checkout's), the request loop of
bench/workloads/asyncio_echo.py is run in a fresh process plain and with only
runner/hooks_asyncio installed (the --light path, asyncio_steps.NullSink: records encoded
to /dev/null), at two request counts; the difference between the counts is per request,
so start-up and the hooks' install do not count. User-space instructions only: the
kernel's share of the echo (loopback send/recv, epoll) is not in them, so the ratio to
plain is an upper bound of the CPU-time ratio.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

BENCH = Path(__file__).parent
CHILD = r"""
import asyncio, os, sys
sys.path[:0] = [{workloads!r}, {bench!r}]
import asyncio_echo
mode, requests, walk = sys.argv[1], int(sys.argv[2]), sys.argv[3]
if mode == "hooks":
    from asyncio_steps import NullSink
    from concurtrace.runner import hooks_asyncio_steps as steps
    from concurtrace.runner.hooks_asyncio import install_asyncio
    from concurtrace.runner.hookset import HookSet
    if walk != "-":
        steps.WALKS = 2**62 if int(walk) < 0 else int(walk)
    install_asyncio(HookSet(), NullSink())
sys.stdout = open(os.devnull, "w")
asyncio.run(asyncio_echo.main(requests, 50))
"""


def _instructions(src: str, mode: str, requests: int, walk: str) -> int:
    code = CHILD.format(workloads=str(BENCH / "workloads"), bench=str(BENCH))
    with tempfile.TemporaryDirectory() as tmp:
        done = subprocess.run(
            ["valgrind", "--tool=cachegrind", "--cache-sim=no",
             f"--cachegrind-out-file={tmp}/out", sys.executable, "-c", code, mode,
             str(requests), walk],
            capture_output=True, text=True, timeout=900,
            env={**os.environ, "PYTHONPATH": src})
    found = re.search(r"I\s+refs:\s+([\d,]+)", done.stderr)
    if done.returncode != 0 or found is None:
        raise SystemExit(f"valgrind failed: {done.stderr[-800:]}")
    return int(found.group(1).replace(",", ""))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--trees", default=str(BENCH.parent / "src"))
    parser.add_argument("--requests", default="1000,3000")
    parser.add_argument("--walks", default="-", help="--light's awaits named a ms (-1: all, as "
                        "the default mode; valgrind runs the program ~50x slower, so the "
                        "default names most)")
    args = parser.parse_args()
    low, high = (int(n) for n in args.requests.split(","))
    per: dict[str, float] = {}
    trees = args.trees.split(",")
    plain = (_instructions(trees[0], "plain", high, "-")
             - _instructions(trees[0], "plain", low, "-")) / (high - low)
    print(f"plain: {plain:,.0f} instructions per request ({sys.version.split()[0]})")
    for src in trees:
        per[src] = (_instructions(src, "hooks", high, args.walks)
                    - _instructions(src, "hooks", low, args.walks)) / (high - low)
        print(f"hooks ({src}, walks {args.walks}): {per[src]:,.0f} per request, "
              f"x{per[src] / plain:.3f} plain, +{per[src] - plain:,.0f}")


if __name__ == "__main__":
    main()
