"""Cost of the sync hooks (issue 16) on uncontended locks: paired, interleaved.

    .venv/bin/python bench/sync_overhead.py [--rounds 21] [--ops 200000] [--runs 5]

Part 1 (in this process): ns per uncontended `with lock:` and `acquire(); release()`
for a raw C lock and for the wrapper threading.Lock()/RLock() return under concurtrace
(runner.hooks_sync_locks), rounds alternating raw/wrapped in a random order; the median
of the per-round differences is the added cost.
Part 2 (end to end): a script that takes an uncontended lock N times, run under
`concurtrace run --light` with and without `--no-sync`, interleaved; the script prints
its own loop time, so start-up does not count. Prints one table; nothing is written.
"""

from __future__ import annotations

import _thread
import argparse
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from concurtrace.runner.hooks_sync_locks import SyncLock, SyncRLock

LOOP = '''
import sys, threading, time
lock = threading.Lock()
n = int(sys.argv[1])
t0 = time.perf_counter_ns()
for _ in range(n):
    with lock:
        pass
print("LOOP_NS", time.perf_counter_ns() - t0)
'''


def _with(lock: Any, ops: int) -> float:
    start = time.perf_counter_ns()
    for _ in range(ops):
        with lock:
            pass
    return (time.perf_counter_ns() - start) / ops


def _calls(lock: Any, ops: int) -> float:
    acquire, release = lock.acquire, lock.release
    start = time.perf_counter_ns()
    for _ in range(ops):
        acquire()
        release()
    return (time.perf_counter_ns() - start) / ops


def _paired(make_raw: Callable[[], Any], make_wrapped: Callable[[], Any],
            measure: Callable[[Any, int], float], rounds: int,
            ops: int) -> tuple[float, float, float, float]:
    """(raw ns/op median, added ns: median of per-round differences, its p90, and the
    difference of the two fastest rounds, the least disturbed by other load)."""
    raw_ns, wrapped_ns, diffs = [], [], []
    for _ in range(rounds):
        pair = [("raw", make_raw()), ("wrapped", make_wrapped())]
        random.shuffle(pair)
        got = {name: measure(lock, ops) for name, lock in pair}
        raw_ns.append(got["raw"])
        wrapped_ns.append(got["wrapped"])
        diffs.append(got["wrapped"] - got["raw"])
    diffs.sort()
    return (statistics.median(raw_ns), statistics.median(diffs), diffs[len(diffs) * 9 // 10],
            min(wrapped_ns) - min(raw_ns))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=21)
    parser.add_argument("--ops", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--loop", type=int, default=1_000_000)
    args = parser.parse_args()
    site = ("bench.py", 1)
    print(f"Python {sys.version.split()[0]}, {args.rounds} rounds x {args.ops} ops")
    print(f"{'case':28} {'raw ns/op':>10} {'added ns (median)':>18} {'p90':>6} "
          f"{'fastest':>8}")
    cases = [
        ("Lock  with", _thread.allocate_lock, lambda: SyncLock.wrap(_thread.allocate_lock(), site),
         _with),
        ("Lock  acquire()+release()", _thread.allocate_lock,
         lambda: SyncLock.wrap(_thread.allocate_lock(), site), _calls),
        ("RLock with", _thread.RLock, lambda: SyncRLock.wrap(_thread.RLock(), site), _with),
        ("RLock acquire()+release()", _thread.RLock, lambda: SyncRLock.wrap(_thread.RLock(), site),
         _calls),
    ]
    for name, raw, wrapped, measure in cases:
        base, added, p90, fastest = _paired(raw, wrapped, measure, args.rounds, args.ops)
        print(f"{name:28} {base:10.1f} {added:18.1f} {p90:6.1f} {fastest:8.1f}")
    if args.runs <= 0:
        return
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "loop.py"
        script.write_text(LOOP)
        loops: dict[str, list[int]] = {"sync": [], "no-sync": []}
        for _ in range(args.runs):
            order = ["sync", "no-sync"]
            random.shuffle(order)
            for mode in order:
                extra = [] if mode == "sync" else ["--no-sync"]
                done = subprocess.run(
                    [sys.executable, "-m", "concurtrace", "run", "--light", "--quiet", *extra,
                     "-o", str(Path(tmp) / "t.pftrace"), "--force", str(script),
                     str(args.loop)], capture_output=True, text=True, check=True)
                line = next(x for x in done.stdout.splitlines() if x.startswith("LOOP_NS"))
                loops[mode].append(int(line.split()[1]))
        per_op = {mode: statistics.median(v) / args.loop for mode, v in loops.items()}
        print(f"end to end, --light, {args.runs} interleaved pairs of {args.loop} `with lock:`: "
              f"{per_op['no-sync']:.1f} ns/op with --no-sync, {per_op['sync']:.1f} ns/op "
              f"with sync (+{per_op['sync'] - per_op['no-sync']:.1f} ns)")


if __name__ == "__main__":
    main()
