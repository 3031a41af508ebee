"""What making sync objects costs under `concurtrace run --light` (issue 16): paired, interleaved.

    .venv/bin/python bench/sync_creation.py [--rounds 5] [--before PYTHONPATH]

Each round runs one script (it makes each kind of object N times in a loop, best of 5
loops, and prints ns per object) plainly, under `concurtrace run --light`, and with
--before (a PYTHONPATH holding an older src tree) under that tree's `run --light`, in a
new random order. Prints the medians per kind and the added ns over plain. The sync hooks
wrap threading.Lock/RLock and label every Condition, Semaphore, Event, Queue and Future
with its creation site, which is what this measures; `with lock:` is the uncontended
acquire+release, for comparison (issue 16: at most +0.5 us).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

PY = sys.executable
SCRIPT = '''
import threading, time, queue, concurrent.futures as cf
def bench(name, f, n):
    best = 1e9
    for _ in range(5):
        t = time.perf_counter()
        for _ in range(n):
            f()
        best = min(best, (time.perf_counter() - t) / n)
    print(f"COST {name} {best * 1e9:.0f}")
bench("Lock", threading.Lock, 100000)
bench("RLock", threading.RLock, 100000)
bench("Condition", threading.Condition, 50000)
bench("Semaphore", threading.Semaphore, 30000)
bench("Event", threading.Event, 30000)
bench("Queue", queue.Queue, 20000)
bench("Future", cf.Future, 30000)
lock = threading.Lock()
def with_lock():
    with lock:
        pass
bench("with_lock", with_lock, 300000)
'''


def costs(argv: list[str], env: dict[str, str]) -> dict[str, float]:
    done = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=600)
    if done.returncode != 0:
        raise SystemExit(f"{argv}: exit {done.returncode}: {done.stderr[-500:]}")
    return {line.split()[1]: float(line.split()[2])
            for line in done.stdout.splitlines() if line.startswith("COST ")}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--before", help="PYTHONPATH of an older src tree")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="sync-creation-"))
    script = work / "make.py"
    script.write_text(SCRIPT)
    env = dict(os.environ)
    run = [PY, "-m", "concurtrace", "run", "--light", "-q", "--force", "-o"]
    columns = {"plain": ([PY, str(script)], env),
               "light": ([*run, str(work / "now.pftrace"), str(script)], env)}
    if args.before:
        columns["before"] = ([*run, str(work / "before.pftrace"), str(script)],
                             {**env, "PYTHONPATH": args.before})
    results: dict[str, list[dict[str, float]]] = {name: [] for name in columns}
    for _ in range(args.rounds):
        for name in random.sample(list(columns), len(columns)):
            results[name].append(costs(*columns[name]))
    kinds = list(results["plain"][0])
    print(f"{args.rounds} rounds, load {os.getloadavg()[0]:.1f}; ns per object, medians")
    print("| kind | " + " | ".join(columns) + " | light - plain |"
          + (" before - plain |" if args.before else ""))
    print("|---" * (len(columns) + 2 + bool(args.before)) + "|")
    for kind in kinds:
        med = {name: statistics.median(r[kind] for r in results[name]) for name in columns}
        row = [f"{med[name]:.0f}" for name in columns] + [f"+{med['light'] - med['plain']:.0f}"]
        if args.before:
            row.append(f"+{med['before'] - med['plain']:.0f}")
        print(f"| {kind} | " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
