"""A program that starts many Python children (issue 18, lazyboot): each traced child pays
the bootstrap's start. Paired, interleaved rounds of `concurtrace run --light` on a script
that runs N `python -c pass` one after another, now and (--before) from an older src tree,
plus the script untraced; medians of wall and CPU (user+sys of the whole tree).

    .venv/bin/python bench/children.py [--rounds 11] [--children 20] [--before SRC] [--label L]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import tempfile
from pathlib import Path

from startup import HERE, PY, timed

SCRIPT = ("import subprocess, sys\nfor _ in range(int(sys.argv[1])):\n"
          "    subprocess.run([sys.executable, '-c', 'pass'], check=True)\n")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=11)
    parser.add_argument("--children", type=int, default=20)
    parser.add_argument("--before", help="an older src tree, run as python -m concurtrace")
    parser.add_argument("--label", default="now")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    rng = random.Random(args.seed)
    load_start = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "children.py"
        script.write_text(SCRIPT)
        n = str(args.children)
        run = ["run", "--light", "-q", "--force", "-o", str(Path(tmp) / "t.pftrace"),
               str(script), n]
        cmds = {"untraced": [PY, str(script), n], "now": [PY, "-m", "concurtrace", *run]}
        if args.before:
            cmds["before"] = ["env", f"PYTHONPATH={args.before}", PY, "-m", "concurtrace", *run]
        for argv in cmds.values():
            timed(argv, env)  # warm-up
        wall: dict[str, list[float]] = {k: [] for k in cmds}
        cpu: dict[str, list[float]] = {k: [] for k in cmds}
        for _ in range(args.rounds):
            order = list(cmds)
            rng.shuffle(order)
            for name in order:
                wall[name].append(timed(cmds[name], env, cpu[name]))
    print(f"{args.rounds} rounds, {args.children} children, load1 {load_start:.2f} -> "
          f"{os.getloadavg()[0]:.2f}")
    for name in cmds:
        print(f"  {name:9} wall {statistics.median(wall[name]) * 1000:7.0f} ms  "
              f"CPU {statistics.median(cpu[name]) * 1000:7.0f} ms")
    if "before" in cmds:
        for label, runs in (("wall", wall), ("CPU", cpu)):
            ratio = statistics.median(a / b for a, b in zip(runs["now"], runs["before"],
                                                                 strict=True))
            print(f"  now / before ({label}), paired median: {ratio:.2f}")
    (HERE / "results" / f"children-{args.label}.json").write_text(json.dumps(
        {"rounds": args.rounds, "children": args.children, "before": args.before,
         "load1_start": load_start, "load1": os.getloadavg()[0], "wall": wall, "cpu": cpu},
        indent=1))


if __name__ == "__main__":
    main()
