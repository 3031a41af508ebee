"""Post-run cost and trace size: where concurtrace's time goes after the program ends.

    .venv/bin/python bench/pipeline.py [--calls 1000000] [--runs 3] [--session DIR]
        [--src NAME=PATH ...]

Runs bench/workloads/call_storm.py under `concurtrace run --keep-temp` (or takes a kept
session, --session), then times each post-run stage on it (read+merge, lifecycle+analysis,
export) in a fresh process per measurement, so the peak RSS reported is the post-run
step's alone. With --src, each named source tree (e.g. before=/tmp/old/src) is measured
on the same session, interleaved round by round, against the installed one ("now").
Reports seconds per million slices, bytes per slice and peak RSS; raw results go to
bench/results/pipeline-LABEL.json (--label, default "now"), with CPU time and load.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent

STAGES = r'''
import io, json, resource, sys, time
from pathlib import Path
from concurtrace.exporters import perfetto
from concurtrace.gc_pause import paused_gc
from concurtrace.model.analysis import analyse
from concurtrace.model.build import build_timeline
from concurtrace.model.lifecycle import add_lifecycle
from concurtrace.model.records import read_session
from concurtrace.model.sources import Observed
from concurtrace.runner.collect import find_traces

session = Path(sys.argv[1])
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
t0, c0 = time.perf_counter(), time.process_time()
records = read_session(session)
traces = find_traces(session, [])
with paused_gc():  # as runner/run.py and cli_support.write_trace do
    timeline = build_timeline(records, traces, Observed(), min(traces), 0, 0)
t1, c1 = time.perf_counter(), time.process_time()
add_lifecycle(timeline, records)
analyse(timeline)
t2, c2 = time.perf_counter(), time.process_time()
buffer = io.BytesIO()
with paused_gc():
    perfetto.write(timeline, buffer)
t3, c3 = time.perf_counter(), time.process_time()
slices = sum(len(t.slices) for p in timeline.processes.values() for t in p.threads.values())
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"slices": slices, "merge_s": t1 - t0, "lifecycle_s": t2 - t1,
                  "export_s": t3 - t2, "cpu_s": c3 - c0,
                  "merge_cpu_s": c1 - c0, "lifecycle_cpu_s": c2 - c1, "export_cpu_s": c3 - c2, "bytes": len(buffer.getvalue()),
                  "peak_mb": peak / 1024, "import_mb": base / 1024}))
'''


def kept_session(calls: int, into: Path) -> Path:
    env = dict(os.environ, TMPDIR=str(into))  # the session dir lands in here
    subprocess.run([sys.executable, "-m", "concurtrace", "run", "--quiet", "--keep-temp",
                    "--force", "-o", str(into / "t.pftrace"),
                    str(HERE / "workloads" / "call_storm.py"), "--", str(calls)],
                   capture_output=True, text=True, check=True, env=env)
    return next(into.glob("concurtrace-*"))


def measure(session: Path, src: str | None) -> dict[str, float]:
    env = dict(os.environ)
    if src:
        env["PYTHONPATH"] = src
    done = subprocess.run([sys.executable, "-c", STAGES, str(session)], capture_output=True,
                          text=True, check=True, env=env)
    result: dict[str, float] = json.loads(done.stdout.splitlines()[-1])
    result["total_s"] = result["merge_s"] + result["lifecycle_s"] + result["export_s"]
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--session", type=Path)
    parser.add_argument("--src", action="append", default=[], help="NAME=PATH of a src tree")
    parser.add_argument("--label", default="now")
    args = parser.parse_args()
    load_start = os.getloadavg()[0]
    trees = {"now": None, **dict(item.split("=", 1) for item in args.src)}
    with tempfile.TemporaryDirectory(prefix="concurtrace-bench-") as tmp:
        session = args.session or kept_session(args.calls, Path(tmp))
        runs: dict[str, list[dict[str, float]]] = {name: [] for name in trees}
        for _ in range(args.runs):
            for name, src in trees.items():
                runs[name].append(measure(session, src))
    summary = {}
    for name, results in runs.items():
        med = {k: statistics.median(r[k] for r in results) for k in results[0]}
        per_m = 1e6 / med["slices"]
        summary[name] = med
        print(f"{name}: slices {med['slices']:.0f}: merge (read+build) "
              f"{med['merge_s'] * per_m:.2f} s/M, lifecycle {med['lifecycle_s'] * per_m:.2f} "
              f"s/M, export {med['export_s'] * per_m:.2f} s/M, total "
              f"{med['total_s'] * per_m:.2f} s/M (CPU {med['cpu_s'] * per_m:.2f}: merge "
              f"{med['merge_cpu_s'] * per_m:.2f}, lifecycle {med['lifecycle_cpu_s'] * per_m:.2f}"
              f", export {med['export_cpu_s'] * per_m:.2f}); "
              f"{med['bytes'] / med['slices']:.2f} "
              f"bytes/slice; peak RSS {med['peak_mb']:.0f} MB (after imports "
              f"{med['import_mb']:.0f})")
    if "before" in runs:
        paired = [b["total_s"] / n["total_s"] for b, n in zip(runs["before"], runs["now"],
                                                              strict=True)]
        print(f"before/now total: median {statistics.median(paired):.2f}x")
        paired = [b["cpu_s"] / n["cpu_s"] for b, n in zip(runs["before"], runs["now"],
                                                          strict=True)]
        print(f"before/now CPU: median {statistics.median(paired):.2f}x")
    out = HERE / "results"
    out.mkdir(exist_ok=True)
    (out / f"pipeline-{args.label}.json").write_text(json.dumps(
        {"runs": runs, "median": summary, "load1_start": load_start,
         "load1_end": os.getloadavg()[0]}, indent=1))


if __name__ == "__main__":
    main()
