"""Cost of the multiprocessing sync hooks (issue 16) on an uncontended multiprocessing.Lock.

    .venv/bin/python bench/sync_mp_overhead.py [--ops 200000] [--runs 7]

A script takes an uncontended multiprocessing.Lock N times (`with lock:`, then
`acquire(); release()`), plain, under `concurtrace run --light --no-sync` and under
`concurtrace run --light`, interleaved in a random order per run; the script prints its
own loop times, so start-up does not count. Prints medians in ns per operation.
"""

from __future__ import annotations

import argparse
import random
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

LOOP = '''
import multiprocessing, sys, time
lock = multiprocessing.Lock()
n = int(sys.argv[1])
t0 = time.perf_counter_ns()
for _ in range(n):
    with lock:
        pass
t1 = time.perf_counter_ns()
acquire, release = lock.acquire, lock.release
for _ in range(n):
    acquire()
    release()
t2 = time.perf_counter_ns()
print("WITH_NS", (t1 - t0) / n, "CALLS_NS", (t2 - t1) / n)
'''
MODES = {"plain": None, "no-sync": ("--light", "--no-sync"), "sync": ("--light",)}


def _run(mode: str, script: Path, ops: int, out: Path) -> tuple[float, float]:
    options = MODES[mode]
    argv = [sys.executable, str(script), str(ops)] if options is None else [
        sys.executable, "-m", "concurtrace", "run", "--quiet", *options, "-o",
        str(out), "--force", str(script), str(ops)]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=300, check=True)
    words = done.stdout.split()
    return float(words[words.index("WITH_NS") + 1]), float(words[words.index("CALLS_NS") + 1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--ops", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "loop.py"
        script.write_text(LOOP)
        results: dict[str, list[tuple[float, float]]] = {m: [] for m in MODES}
        for _ in range(args.runs):
            for mode in random.sample(list(MODES), len(MODES)):
                results[mode].append(_run(mode, script, args.ops, Path(tmp) / "t.pftrace"))
    print(f"python {sys.version.split()[0]}, {args.ops} ops, {args.runs} runs (median ns/op)")
    print(f"{'mode':10} {'with lock:':>12} {'acquire+release':>16}")
    for mode, rows in results.items():
        print(f"{mode:10} {statistics.median(r[0] for r in rows):12.0f} "
              f"{statistics.median(r[1] for r in rows):16.0f}")


if __name__ == "__main__":
    main()
