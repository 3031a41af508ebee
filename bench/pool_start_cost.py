"""What each pool worker costs, in CPU and page faults, untraced and under --light (issue 16).

    .venv/bin/python bench/pool_start_cost.py [--rounds 8] [--items 0] [--label NAME]
        [--columns untraced,light,light-nosync,light-before]

pool16's work time is wall time on a shared machine; the CPU its 16 fork workers burn is a
steadier measure of what the tracer adds to each. The workload (written to a temporary
file) is pool16's: Pool(16) of fork workers, ITEMS items of spin(400k), close + join. Each
worker notes its CPU time (user+sys) and minor page faults after the at-fork handlers
(concurtrace's ran first: it registered first), when the pool's initializer runs, and when
it calls os._exit; the parent notes its own and its children's CPU (RUSAGE_CHILDREN after
the join: every worker, exit included). Columns and rounds are interleaved in a random
order; "light-before" runs `--light` from the src tree in $CONCURTRACE_BEFORE. Raw runs go
to bench/results/pool-start-cost[-LABEL].json; medians to stdout.
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

HERE = Path(__file__).resolve().parent
WORKLOAD = '''
import multiprocessing, os, resource, sys, time
OUT = sys.argv[2]
def mark(marks, name):
    r = resource.getrusage(resource.RUSAGE_SELF)
    marks[name] = (r.ru_minflt, (r.ru_utime + r.ru_stime) * 1e6)
MARKS = {}
def child():
    MARKS.clear()
    mark(MARKS, "fork")
    theirs = os._exit
    def exiting(code):
        mark(MARKS, "exit")
        with open(os.path.join(OUT, f"w-{os.getpid()}.json"), "w") as f:
            f.write(repr(MARKS))
        theirs(code)
    os._exit = exiting
def init():
    mark(MARKS, "init")
os.register_at_fork(after_in_child=child)
def spin(n):
    x = 0
    for i in range(n):
        x += i * i
    return x
if __name__ == "__main__":
    c0, s0 = (resource.getrusage(w) for w in (resource.RUSAGE_CHILDREN, resource.RUSAGE_SELF))
    pool = multiprocessing.Pool(16, initializer=init)
    pool.map(spin, [400_000] * int(sys.argv[1]), chunksize=1)
    pool.close()
    pool.join()
    c1, s1 = (resource.getrusage(w) for w in (resource.RUSAGE_CHILDREN, resource.RUSAGE_SELF))
    cpu = lambda a, b: (b.ru_utime + b.ru_stime - a.ru_utime - a.ru_stime) * 1e3
    print("TOTALS", cpu(c0, c1), c1.ru_minflt - c0.ru_minflt, cpu(s0, s1), flush=True)
'''


def command(column: str, script: Path, items: int, out: Path) -> tuple[list[str], dict[str, str]]:
    env = dict(os.environ)
    if column == "untraced":
        return [sys.executable, str(script), str(items), str(out)], env
    if column == "light-before":
        env["PYTHONPATH"] = os.environ["CONCURTRACE_BEFORE"]
    flags = ["--light", "--no-sync"] if column == "light-nosync" else ["--light"]
    return [sys.executable, "-m", "concurtrace", "run", "-o", str(out / "t.pftrace"), "--quiet",
            "--force", *flags, str(script), "--", str(items), str(out)], env


def run_one(column: str, script: Path, items: int, out: Path) -> dict[str, float]:
    for old in out.iterdir():
        old.unlink()
    load1 = os.getloadavg()[0]
    cmd, env = command(column, script, items, out)
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
    totals = next(ln.split()[1:] for ln in done.stdout.splitlines() if ln.startswith("TOTALS"))
    workers = [eval(p.read_text()) for p in out.glob("w-*.json")]  # noqa: S307 - our repr
    per = {f"{key}_{mark}": statistics.median(w[mark][i] for w in workers)
           for mark in ("fork", "init", "exit") for i, key in ((0, "flt"), (1, "cpu_us"))}
    return {"load1": load1, "workers": len(workers), "kids_cpu_ms": float(totals[0]),
            "kids_flt": float(totals[1]), "parent_cpu_ms": float(totals[2]), **per}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--items", type=int, default=0)
    parser.add_argument("--seed", type=int, default=16)
    parser.add_argument("--columns", default="untraced,light,light-nosync,light-before")
    parser.add_argument("--label", default="")
    args = parser.parse_args()
    columns, rng = args.columns.split(","), random.Random(args.seed)
    runs: list[dict[str, object]] = []
    with tempfile.TemporaryDirectory(prefix="poolcost-") as tmp:
        script, out = Path(tmp) / "pool_workers.py", Path(tmp) / "out"
        script.write_text(WORKLOAD)
        out.mkdir()
        for k in range(-1, args.rounds):  # round -1: warm-up, not kept
            for column in rng.sample(columns, len(columns)):
                run = run_one(column, script, args.items, out)
                if k >= 0:
                    runs.append({"round": k, "column": column, **run})
    keys = [k for k in runs[0] if k not in ("round", "column")]
    summary = {c: {k: statistics.median(float(r[k]) for r in runs if r["column"] == c)  # type: ignore[arg-type]
                   for k in keys} for c in columns}
    name = f"pool-start-cost-{args.label}.json" if args.label else "pool-start-cost.json"
    (HERE / "results").mkdir(exist_ok=True)
    (HERE / "results" / name).write_text(json.dumps(
        {"args": vars(args), "python": sys.version.split()[0], "summary": summary,
         "runs": runs}, indent=1))
    print(f"{args.rounds} rounds, {args.items} items; medians; per worker: at fork (after "
          "the at-fork handlers), at the pool initializer, at os._exit (CPU us / minor faults)")
    print("| column | kids CPU ms (all 16, exit incl.) | kids faults | parent CPU ms | "
          "fork | init | os._exit | load1 |\n|---|---|---|---|---|---|---|---|")
    for c, s in summary.items():
        marks = " | ".join(f"{s[f'cpu_us_{m}']:.0f} us / {s[f'flt_{m}']:.0f}"
                           for m in ("fork", "init", "exit"))
        print(f"| {c} | {s['kids_cpu_ms']:.1f} | {s['kids_flt']:.0f} | {s['parent_cpu_ms']:.1f}"
              f" | {marks} | {s['load1']:.1f} |")


if __name__ == "__main__":
    main()
