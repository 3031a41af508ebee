"""One concurtrace command from several src trees, paired and interleaved (issue 18).

    .venv/bin/python bench/startup_ab.py [--rounds 21] [--label NAME] [--seed 3]
        "run --light -q -c pass" NAME=SRC [NAME=SRC ...]

Each tree runs as `python -m concurtrace ARGS` with PYTHONPATH=SRC (the same entry point
for every tree, unlike bench/startup.py's console script against `python -m`), in a new
random order each round, the first round a warm-up. Ratios are per round against the
first tree, medians; wall time and CPU time (user+sys of the command's whole tree). Raw
runs to bench/results/startup-ab-LABEL.json.
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
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=21)
    parser.add_argument("--label", default="now")
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("args", help="the concurtrace arguments, one string")
    parser.add_argument("trees", nargs="+", help="NAME=SRC")
    opts = parser.parse_args()
    trees = dict(tree.split("=", 1) for tree in opts.trees)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    wall: dict[str, list[float]] = {name: [] for name in trees}
    cpu: dict[str, list[float]] = {name: [] for name in trees}
    rng = random.Random(opts.seed)
    load = [os.getloadavg()[0]]
    with tempfile.TemporaryDirectory() as tmp:
        argv = [sys.executable, "-m", "concurtrace", *opts.args.split()]
        if argv[3:4] == ["run"]:
            argv[4:4] = ["--force", "-o", str(Path(tmp) / "t.pftrace")]
        for round_ in range(opts.rounds + 1):
            order = list(trees)
            rng.shuffle(order)
            for name in order:
                before = resource.getrusage(resource.RUSAGE_CHILDREN)
                start = time.perf_counter()
                subprocess.run(argv, env={**env, "PYTHONPATH": trees[name]}, cwd=tmp,
                               check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                took = time.perf_counter() - start
                after = resource.getrusage(resource.RUSAGE_CHILDREN)
                if round_:
                    wall[name].append(took)
                    cpu[name].append(after.ru_utime + after.ru_stime
                                     - before.ru_utime - before.ru_stime)
    load.append(os.getloadavg()[0])
    base = next(iter(trees))
    print(f"{opts.rounds} rounds of `concurtrace {opts.args}`, load1 {load[0]:.1f} -> "
          f"{load[1]:.1f}")
    for name in trees:
        ratio = statistics.median(a / b for a, b in zip(wall[name], wall[base], strict=True))
        cpu_ratio = statistics.median(a / b for a, b in zip(cpu[name], cpu[base], strict=True))
        print(f"  {name:10} wall {statistics.median(wall[name]) * 1e3:6.1f} ms, CPU "
              f"{statistics.median(cpu[name]) * 1e3:6.1f} ms; / {base}: wall {ratio:.3f}, "
              f"CPU {cpu_ratio:.3f}")
    (HERE / "results").mkdir(exist_ok=True)
    (HERE / "results" / f"startup-ab-{opts.label}.json").write_text(json.dumps(
        {"args": opts.args, "trees": trees, "rounds": opts.rounds, "load1": load,
         "python": sys.version, "wall": wall, "cpu": cpu}, indent=1))


if __name__ == "__main__":
    main()
