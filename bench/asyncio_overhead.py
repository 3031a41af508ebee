"""Cost of the asyncio capture (issue 17) on a loopback echo benchmark, interleaved.

    .venv/bin/python bench/asyncio_overhead.py [--runs 7] [--requests 10000]

Runs bench/workloads/asyncio_echo.py (N requests over 50 connections, one process)
plain, under `concurtrace run --light` with and without --no-asyncio, under the full
mode with and without --no-asyncio, and under `viztracer --log_async` (when installed),
in a random order per round. The script prints its own request-loop time, so start-up
and trace saving do not count. Prints the median loop time and the ratio to plain.
"""

from __future__ import annotations

import argparse
import random
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

WORKLOAD = Path(__file__).parent / "workloads" / "asyncio_echo.py"
BIN = Path(sys.executable).parent


def _modes(out: Path) -> dict[str, list[str]]:
    run = [str(BIN / "concurtrace"), "run", "--quiet", "--force", "-o", str(out / "t.pftrace")]
    modes = {
        "plain": [sys.executable],
        "light --no-asyncio": [*run, "--light", "--no-asyncio"],
        "light": [*run, "--light"],
        "full --no-asyncio": [*run, "--no-asyncio"],
        "full": run,
    }
    if (BIN / "viztracer").exists():
        modes["viztracer --log_async"] = [str(BIN / "viztracer"), "--quiet", "--log_async",
                                          "-o", str(out / "v.json")]
    return modes


def _loop_ns(argv: list[str], requests: int) -> float:
    done = subprocess.run([*argv, str(WORKLOAD), str(requests)], capture_output=True,
                          text=True, timeout=600)
    for line in done.stdout.splitlines():
        if line.startswith("LOOP_NS "):
            return int(line.split()[1]) / 1e9
    raise SystemExit(f"no LOOP_NS from {argv[:3]}: {done.stderr[-500:]}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--requests", type=int, default=10_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        modes = _modes(Path(tmp))
        times: dict[str, list[float]] = {name: [] for name in modes}
        for _ in range(args.runs):
            for name in random.sample(list(modes), len(modes)):
                times[name].append(_loop_ns(modes[name], args.requests))
    plain = statistics.median(times["plain"])
    print(f"{'mode':24} {'median s':>9} {'x plain':>8}   ({args.runs} runs, "
          f"{args.requests} requests, {sys.version.split()[0]})")
    for name, found in times.items():
        median = statistics.median(found)
        print(f"{name:24} {median:9.3f} {median / plain:8.2f}")


if __name__ == "__main__":
    main()
