"""The sampler's own CPU per thread-sample over a pool16-like tree (issue 16: --light's cost).

    .venv/bin/python bench/sampler_cost.py [--seconds 3] [--procs 16] [--hz 500] [--rounds 3]
        [--budget 5000]

Forks PROCS children that spin in pure Python (as pool16's workers, all runnable on a
saturated machine), starts a TreeSampler on this process for SECONDS, and prints the
sampler's CPU (thread_time of its thread), samples, ticks, us per sample and effective Hz,
per round and the medians. Nothing else runs in this process meanwhile.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))

from concurtrace.sampler import TreeSampler  # noqa: E402


def spin_children(count: int) -> list[int]:
    pids = []
    for _ in range(count):
        pid = os.fork()
        if pid == 0:
            x = 0
            while True:
                x += 1
        pids.append(pid)
    return pids


def one_round(seconds: float, procs: int, hz: float, budget: float) -> dict[str, float]:
    pids = spin_children(procs)
    try:
        time.sleep(0.1)
        sampler = TreeSampler(os.getpid(), hz=hz, budget=budget)
        sampler.start()
        time.sleep(seconds)
        stats = sampler.stop().stats.as_summary()
    finally:
        for pid in pids:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
    return {k: float(v) for k, v in stats.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--procs", type=int, default=16)
    parser.add_argument("--hz", type=float, default=500.0)
    parser.add_argument("--budget", type=float, default=5000.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--label", default="")
    args = parser.parse_args()
    rounds = []
    for _ in range(args.rounds):
        got = one_round(args.seconds, args.procs, args.hz, args.budget)
        got["load1"] = os.getloadavg()[0]
        rounds.append(got)
        print(json.dumps({k: got.get(k) for k in ("cpu_s", "samples", "us_per_sample",
                                                   "hz_effective", "load1")}))
    keys = ("cpu_s", "samples", "us_per_sample", "hz_effective")
    med = {k: statistics.median(r.get(k, 0.0) for r in rounds) for k in keys}
    med["cpu_share_of_core"] = med["cpu_s"] / args.seconds
    print("median", json.dumps(med))
    if args.label:
        out = HERE / "results" / f"sampler-cost-{args.label}.json"
        out.write_text(json.dumps({"args": vars(args), "rounds": rounds, "median": med},
                                  indent=1))


if __name__ == "__main__":
    main()
