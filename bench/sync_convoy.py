"""How much the sync records perturb a lock convoy (issue 16): paired, interleaved.

    .venv/bin/python bench/sync_convoy.py [--pairs 9] [--old-src DIR]

The program is tests/scripts/big_program.py's pool part: 40 ThreadPoolExecutor workers
meet at a threading.Barrier, then each spins 300k iterations (GIL contention). It times
itself: each worker's wait in barrier.wait() (the median over workers), and the wall
time of the pool. Variants, run in a shuffled order in each round, under
`concurtrace run --light`: `--no-sync`, sync (this checkout), and with --old-src DIR
(a `src` directory of another commit, e.g. `git archive a928498 src | tar -x -C /tmp/old`)
sync with that code. Prints the medians over rounds and the raw numbers.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

PROGRAM = '''
import statistics, threading, time
from concurrent.futures import ThreadPoolExecutor
WORKERS = 40
barrier = threading.Barrier(WORKERS)
waits = []
def spin(n):
    x = 0
    for i in range(n):
        x += i * i
    return x
def task(n):
    t0 = time.perf_counter()
    barrier.wait()
    waits.append(time.perf_counter() - t0)
    return spin(n)
t0 = time.perf_counter()
with ThreadPoolExecutor(max_workers=WORKERS) as pool:
    list(pool.map(task, [300_000] * WORKERS))
print("CONVOY", statistics.median(waits) * 1e3, (time.perf_counter() - t0) * 1e3)
'''


def _once(script: Path, out: Path, extra: list[str], src: str | None) -> tuple[float, float]:
    env = dict(os.environ)
    if src:
        env["PYTHONPATH"] = src
    done = subprocess.run([sys.executable, "-m", "concurtrace",
                           "run", "--light", "--quiet", *extra, "-o", str(out), "--force",
                           str(script)], capture_output=True, text=True, check=True, env=env)
    line = next(x for x in done.stdout.splitlines() if x.startswith("CONVOY"))
    wait, wall = line.split()[1:]
    return float(wait), float(wall)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pairs", type=int, default=9)
    parser.add_argument("--old-src", default=None)
    args = parser.parse_args()
    variants: dict[str, tuple[list[str], str | None]] = {
        "no-sync": (["--no-sync"], None), "sync": ([], None)}
    if args.old_src:
        variants["sync, old code"] = ([], args.old_src)
    results: dict[str, list[tuple[float, float]]] = {name: [] for name in variants}
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "convoy.py"
        script.write_text(PROGRAM)
        for _ in range(args.pairs):
            order = list(variants)
            random.shuffle(order)
            for name in order:
                extra, src = variants[name]
                results[name].append(_once(script, Path(tmp) / "t.pftrace", extra, src))
    print(f"Python {sys.version.split()[0]}, {args.pairs} interleaved rounds")
    print(f"{'variant':16} {'barrier wait ms (median of rounds)':>36} {'pool wall ms':>14}")
    for name, rows in results.items():
        print(f"{name:16} {statistics.median(r[0] for r in rows):36.1f} "
              f"{statistics.median(r[1] for r in rows):14.1f}")
    print(json.dumps(results))


if __name__ == "__main__":
    main()
