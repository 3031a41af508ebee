"""Cost of the Pipe and Pool hooks (issue 16) on the traced program.

    .venv/bin/python bench/mp_pipe_overhead.py [--trips 20000] [--items 4000] [--runs 5]

A script bounces a small message over a Pipe between itself and a fork child (send, then
a recv that usually blocks: the recorded-wait path), then runs pool.imap over a fork
Pool(2) with chunksize 1 (each result a worker's put and a waiter's next()); it prints
its own loop times, so start-up does not count. Plain, `concurtrace run --light
--no-sync` and `--light`, interleaved in a random order per run. Prints medians: ns per
round trip, ns per imap item, and CPU seconds (user+sys) of the whole process tree.
"""

from __future__ import annotations

import argparse
import random
import resource
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

LOOP = '''
import multiprocessing as mp, sys, time
def echo(conn):
    while True:
        item = conn.recv()
        if item is None:
            return
        conn.send(item)
def one(x):
    return x
if __name__ == "__main__":
    ctx = mp.get_context("fork")
    trips, items = int(sys.argv[1]), int(sys.argv[2])
    mine, theirs = ctx.Pipe()
    child = ctx.Process(target=echo, args=(theirs,))
    child.start()
    t0 = time.perf_counter_ns()
    for i in range(trips):
        mine.send(i)
        mine.recv()
    t1 = time.perf_counter_ns()
    mine.send(None)
    child.join()
    with ctx.Pool(2) as pool:
        pool.map(one, range(4))
        t2 = time.perf_counter_ns()
        for _ in pool.imap(one, range(items), chunksize=1):
            pass
        t3 = time.perf_counter_ns()
    print("PIPE_NS", (t1 - t0) / trips, "IMAP_NS", (t3 - t2) / items)
'''
MODES = {"plain": None, "no-sync": ("--light", "--no-sync"), "sync": ("--light",)}


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _run(mode: str, script: Path, trips: int, items: int, out: Path) -> tuple[float, ...]:
    options = MODES[mode]
    target = [str(script), str(trips), str(items)]
    argv = [sys.executable, *target] if options is None else [
        sys.executable, "-m", "concurtrace", "run", "--quiet", *options, "-o", str(out),
        "--force", *target]
    before = _cpu()
    done = subprocess.run(argv, capture_output=True, text=True, timeout=600, check=True)
    words = done.stdout.split()
    return (float(words[words.index("PIPE_NS") + 1]), float(words[words.index("IMAP_NS") + 1]),
            _cpu() - before)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--trips", type=int, default=20_000)
    parser.add_argument("--items", type=int, default=4_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "loop.py"
        script.write_text(LOOP)
        results: dict[str, list[tuple[float, ...]]] = {m: [] for m in MODES}
        for _ in range(args.runs):
            for mode in random.sample(list(MODES), len(MODES)):
                results[mode].append(_run(mode, script, args.trips, args.items,
                                          Path(tmp) / "t.pftrace"))
    print(f"python {sys.version.split()[0]}, {args.trips} round trips, {args.items} imap "
          f"items, {args.runs} runs (medians)")
    print(f"{'mode':10} {'ns/round trip':>14} {'ns/imap item':>13} {'tree CPU s':>11}")
    for mode, rows in results.items():
        print(f"{mode:10} {statistics.median(r[0] for r in rows):14.0f} "
              f"{statistics.median(r[1] for r in rows):13.0f} "
              f"{statistics.median(r[2] for r in rows):11.2f}")


if __name__ == "__main__":
    main()
