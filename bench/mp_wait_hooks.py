"""Cost of the mpwait hooks (issue 16) on hot paths: multiprocessing.connection.wait
(every Connection.poll calls it: the hook looks at the caller and passes through) and a
ProcessPoolExecutor round trip (submit, then result(): the submit hook numbers the call,
the worker's result put checks the holder table, the waiter counts itself).

    .venv/bin/python bench/mp_wait_hooks.py [--polls 200000] [--calls 3000] [--runs 5]
        [--before /work/main/.venv/bin/python]

Modes, interleaved in a random order per run: plain; `concurtrace run --light` with the
tree before these hooks (--before: another checkout's interpreter, its own concurtrace);
`--light` with this tree. The script prints its own loop times (start-up excluded).
Prints medians: ns per poll(0), ns per pool round trip, CPU s (user+sys) of the tree.
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
import concurrent.futures as cf, multiprocessing as mp, sys, time
def one(x):
    return x
if __name__ == "__main__":
    polls, calls = int(sys.argv[1]), int(sys.argv[2])
    a, b = mp.Pipe()
    t0 = time.perf_counter_ns()
    for _ in range(polls):
        a.poll(0)
    t1 = time.perf_counter_ns()
    with cf.ProcessPoolExecutor(1, mp_context=mp.get_context("fork")) as pool:
        pool.submit(one, 0).result()
        t2 = time.perf_counter_ns()
        for i in range(calls):
            pool.submit(one, i).result()
        t3 = time.perf_counter_ns()
    print("POLL_NS", (t1 - t0) / polls, "CALL_NS", (t3 - t2) / calls)
'''


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _run(python: str, traced: bool, script: Path, polls: int, calls: int,
         out: Path) -> tuple[float, ...]:
    target = [str(script), str(polls), str(calls)]
    argv = [python, *target] if not traced else [
        python, "-m", "concurtrace", "run", "--quiet", "--light", "-o", str(out), "--force",
        *target]
    before = _cpu()
    done = subprocess.run(argv, capture_output=True, text=True, timeout=600, check=True)
    words = done.stdout.split()
    return (float(words[words.index("POLL_NS") + 1]), float(words[words.index("CALL_NS") + 1]),
            _cpu() - before)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--polls", type=int, default=200_000)
    parser.add_argument("--calls", type=int, default=3_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--before", default="/work/main/.venv/bin/python")
    args = parser.parse_args()
    modes = {"plain": (sys.executable, False), "before": (args.before, True),
             "after": (sys.executable, True)}
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "loop.py"
        script.write_text(LOOP)
        results: dict[str, list[tuple[float, ...]]] = {m: [] for m in modes}
        for _ in range(args.runs):
            for mode in random.sample(list(modes), len(modes)):
                python, traced = modes[mode]
                results[mode].append(_run(python, traced, script, args.polls, args.calls,
                                          Path(tmp) / "t.pftrace"))
    print(f"python {sys.version.split()[0]}, {args.polls} poll(0), {args.calls} pool round "
          f"trips, {args.runs} runs (medians)")
    print(f"{'mode':8} {'ns/poll(0)':>11} {'ns/round trip':>14} {'tree CPU s':>11}")
    for mode, rows in results.items():
        print(f"{mode:8} {statistics.median(r[0] for r in rows):11.0f} "
              f"{statistics.median(r[1] for r in rows):14.0f} "
              f"{statistics.median(r[2] for r in rows):11.2f}")


if __name__ == "__main__":
    main()
