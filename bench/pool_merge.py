"""The dumps' merge serial against the worker processes of runner/merge_pool.py.

    .venv/bin/python bench/pool_merge.py --session DIR [--rounds 7] [--label NAME]
                                         [--same-session]

On one kept session of a tree with several processes (e.g. `concurtrace run --keep-temp
bench/workloads/scale_tree.py 1000000 4 4`), times read_session + build_timeline in a
fresh process per measurement, serial and with the pool, in a new random order each
round: wall time, CPU time (the process's own and its reaped workers'), peak RSS of the
parent, and the load average. Ratios are medians of per-round ratios. Raw results:
bench/results/pool-merge-LABEL.json.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

MEASURE = r'''
import json, resource, sys, time
from pathlib import Path
from concurtrace.gc_pause import paused_gc
from concurtrace.model.build import build_timeline
from concurtrace.model.records import read_session
from concurtrace.model.sources import Observed
from concurtrace.runner.collect import find_traces
from concurtrace.runner.merge_pool import pool_merger

session, pooled = Path(sys.argv[1]), sys.argv[2] != "serial"
if sys.argv[2] == "pool-same-session":  # an experiment: the workers in the parent's autogroup
    import subprocess
    class SameSession(subprocess.Popen):
        def __init__(self, *args, **kwargs):
            kwargs["start_new_session"] = False
            super().__init__(*args, **kwargs)
    subprocess.Popen = SameSession
t0, c0 = time.perf_counter(), time.process_time()
records = read_session(session)
traces = find_traces(session, [])
merger = pool_merger(traces) if pooled else None
assert (merger is not None) == pooled, "the pool is not used for this session"
with paused_gc():
    timeline = build_timeline(records, traces, Observed(), min(traces), 0, 0, merger)
t1, c1 = time.perf_counter(), time.process_time()
children = resource.getrusage(resource.RUSAGE_CHILDREN)
slices = sum(len(t.slices) for p in timeline.processes.values() for t in p.threads.values())
print(json.dumps({"slices": slices, "wall_s": t1 - t0, "own_cpu_s": c1 - c0,
                  "workers_cpu_s": children.ru_utime + children.ru_stime,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
'''


def measure(session: Path, how: str) -> dict[str, float]:
    out = subprocess.run([sys.executable, "-c", MEASURE, str(session), how], check=True,
                         capture_output=True, text=True).stdout
    result: dict[str, float] = json.loads(out)
    result["cpu_s"] = result["own_cpu_s"] + result["workers_cpu_s"]
    result["load1"] = os.getloadavg()[0]
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--session", type=Path, required=True)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--label", default="now")
    parser.add_argument("--same-session", action="store_true",
                        help="also the pool with the workers in the parent's session (an "
                        "experiment: the kernel's autogroup then gives them one share)")
    args = parser.parse_args()
    rounds = []
    for number in range(args.rounds):
        order = ["serial", "pool"] + (["pool-same-session"] if args.same_session else [])
        random.shuffle(order)
        row = {how: measure(args.session, how) for how in order}
        rounds.append(row)
        print(number, {how: (round(r["wall_s"], 2), round(r["cpu_s"], 2), round(r["load1"], 1))
                       for how, r in row.items()}, flush=True)
    summary = {}
    variants = list(rounds[0])
    for key in ("wall_s", "cpu_s"):
        for how in variants:
            summary[f"{how}_{key}_median"] = statistics.median(r[how][key] for r in rounds)
            if how != "serial":
                summary[f"{how}/serial_{key}_median"] = statistics.median(
                    r[how][key] / r["serial"][key] for r in rounds)
    summary["slices"] = rounds[0]["serial"]["slices"]
    summary["load1"] = [r[how]["load1"] for r in rounds for how in variants]
    summary["cpus"] = os.cpu_count()
    print(json.dumps(summary, indent=1))
    out = HERE / "results" / f"pool-merge-{args.label}.json"
    out.write_text(json.dumps({"summary": summary, "rounds": rounds}, indent=1) + "\n")
    print("raw results:", out)


if __name__ == "__main__":
    main()
