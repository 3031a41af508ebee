"""Cost of the asyncio capture (issue 17) on a loopback echo benchmark, interleaved.

    .venv/bin/python bench/asyncio_overhead.py [--runs 7] [--requests 10000]

Runs bench/workloads/asyncio_echo.py (N requests over 50 connections, one process)
plain, under `concurtrace run --light` with and without --no-asyncio, under the full
mode with and without --no-asyncio, and under `viztracer --log_async` (when installed),
in a random order per round. The script prints its own request-loop time, so start-up
and trace saving do not count. Prints the median loop time and the program's CPU time
during it, the CPU of the whole command's process tree (all of it: start-up, the sampler,
saving), and their ratios to plain.
`--before DIR` adds `--light` and `full` runs of another tree's src/ (PYTHONPATH=DIR), e.g.
`git archive <commit> src | tar -x -C /tmp/old` then `--before /tmp/old/src`; `--json F`
keeps the raw times.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

WORKLOAD = Path(__file__).parent / "workloads" / "asyncio_echo.py"
BIN = Path(sys.executable).parent


def _modes(out: Path, before: str | None) -> dict[str, list[str]]:
    run = [str(BIN / "concurtrace"), "run", "--quiet", "--force", "-o", str(out / "t.pftrace")]
    modes = {
        "plain": [sys.executable],
        "light --no-asyncio": [*run, "--light", "--no-asyncio"],
        # the sampler's share: it runs in concurtrace's process, on the same 2 cores
        "light --no-asyncio 50Hz": [*run, "--light", "--no-asyncio", "--sample-hz", "50"],
        "light 50Hz": [*run, "--light", "--sample-hz", "50"],
        "light": [*run, "--light"],
        "light --no-sync": [*run, "--light", "--no-sync"],  # the sync hooks' share
        "full --no-asyncio": [*run, "--no-asyncio"],
        "full": run,
    }
    if before:
        modes["light (before)"] = ["env", f"PYTHONPATH={before}", *run, "--light"]
        modes["full (before)"] = ["env", f"PYTHONPATH={before}", *run]
    if (BIN / "viztracer").exists():
        modes["viztracer --log_async"] = [str(BIN / "viztracer"), "--quiet", "--log_async",
                                          "-o", str(out / "v.json")]
    return modes


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _loop_s(argv: list[str], requests: int) -> tuple[float, float, float]:
    """(wall, CPU) seconds of the request loop, and the CPU of the whole command's
    process tree (start-up, sampler, trace saving and post-run included)."""
    before = _children_cpu()
    done = subprocess.run([*argv, str(WORKLOAD), str(requests)], capture_output=True,
                          text=True, timeout=600)
    tree = _children_cpu() - before
    for line in done.stdout.splitlines():
        if line.startswith("LOOP_NS "):
            wall, cpu = line.split()[1:3]
            return int(wall) / 1e9, int(cpu) / 1e9, tree
    raise SystemExit(f"no LOOP_NS from {argv[:3]}: {done.stderr[-500:]}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--requests", type=int, default=10_000)
    parser.add_argument("--before", help="another tree's src/ directory")
    parser.add_argument("--json", help="write the raw times here")
    parser.add_argument("--only", help="comma-separated modes to run (plain is always run)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        modes = _modes(Path(tmp), args.before)
        if args.only:
            keep = {"plain", *args.only.split(",")}
            modes = {name: argv for name, argv in modes.items() if name in keep}
        times: dict[str, list[float]] = {name: [] for name in modes}
        cpus: dict[str, list[float]] = {name: [] for name in modes}
        trees: dict[str, list[float]] = {name: [] for name in modes}
        loads: list[float] = []
        for _ in range(args.runs):
            for name in random.sample(list(modes), len(modes)):
                wall, cpu, tree = _loop_s(modes[name], args.requests)
                times[name].append(wall)
                cpus[name].append(cpu)
                trees[name].append(tree)
            loads.append(os.getloadavg()[0])
    plain = statistics.median(times["plain"])
    plain_cpu = statistics.median(cpus["plain"])
    plain_tree = statistics.median(trees["plain"])
    print(f"{'mode':24} {'wall s':>7} {'x plain':>8} {'CPU s':>7} {'x plain':>8} "
          f"{'tree CPU':>8} {'x plain':>8}   ({args.runs} runs, {args.requests} requests, "
          f"{sys.version.split()[0]}, load {min(loads):.1f}-{max(loads):.1f})")
    for name in modes:
        wall, cpu = statistics.median(times[name]), statistics.median(cpus[name])
        tree = statistics.median(trees[name])
        print(f"{name:24} {wall:7.3f} {wall / plain:8.2f} {cpu:7.3f} {cpu / plain_cpu:8.2f} "
              f"{tree:8.3f} {tree / plain_tree:8.2f}")
    if args.json:
        Path(args.json).write_text(json.dumps({"python": sys.version, "runs": args.runs,
                                               "requests": args.requests,
                                               "load": loads, "wall_s": times,
                                               "cpu_s": cpus, "tree_cpu_s": trees}))


if __name__ == "__main__":
    main()
