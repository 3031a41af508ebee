"""Post-run cost and trace size: where concurtrace's time goes after the program ends.

    .venv/bin/python bench/pipeline.py [--calls 1000000] [--runs 3]

Runs bench/workloads/call_storm.py under `concurtrace run --keep-temp`, then times each
post-run stage on the kept session (read, merge, lifecycle+analysis, export) and reports
seconds per million slices, bytes per slice and peak memory of the post-run step.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from concurtrace.exporters import perfetto
from concurtrace.gc_pause import paused_gc
from concurtrace.model.analysis import analyse
from concurtrace.model.build import build_timeline
from concurtrace.model.lifecycle import add_lifecycle
from concurtrace.model.records import read_session
from concurtrace.model.sources import Observed
from concurtrace.runner.collect import find_traces

HERE = Path(__file__).resolve().parent


def kept_session(calls: int, out: Path) -> Path:
    private = Path(tempfile.mkdtemp(prefix="concurtrace-bench-"))
    env = dict(os.environ, TMPDIR=str(private))  # the session dir lands in here
    subprocess.run([sys.executable, "-m", "concurtrace", "run", "--quiet", "--keep-temp",
                    "--force", "-o", str(out), str(HERE / "workloads" / "call_storm.py"),
                    "--", str(calls)], capture_output=True, text=True, check=True, env=env)
    return next(private.glob("concurtrace-*"))


def stages(session: Path) -> dict[str, float]:
    t0 = time.perf_counter()
    records = read_session(session)
    traces = find_traces(session, [])
    t1 = time.perf_counter()
    with paused_gc():  # as runner/run.py and cli_support.write_trace do
        timeline = build_timeline(records, traces, Observed(), min(traces), 0, 0)
    t2 = time.perf_counter()
    add_lifecycle(timeline, records)
    analyse(timeline)
    t3 = time.perf_counter()
    buffer = io.BytesIO()
    with paused_gc():
        perfetto.write(timeline, buffer)
    t4 = time.perf_counter()
    slices = sum(len(t.slices) for p in timeline.processes.values() for t in p.threads.values())
    return {"slices": slices, "read_s": t1 - t0, "merge_s": t2 - t1, "lifecycle_s": t3 - t2,
            "export_s": t4 - t3, "bytes": len(buffer.getvalue())}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    results = []
    for _ in range(args.runs):
        session = kept_session(args.calls, Path("/tmp/concurtrace-bench.pftrace"))
        results.append(stages(session))
        subprocess.run(["rm", "-rf", str(session.parent)], check=True)
    med = {k: statistics.median(r[k] for r in results) for k in results[0]}
    per_m = 1e6 / med["slices"]
    total = med["read_s"] + med["merge_s"] + med["lifecycle_s"] + med["export_s"]
    print(f"slices {med['slices']:.0f}: read {med['read_s'] * per_m:.2f} s/M, merge "
          f"{med['merge_s'] * per_m:.2f} s/M, lifecycle {med['lifecycle_s'] * per_m:.2f} s/M, "
          f"export {med['export_s'] * per_m:.2f} s/M, total {total * per_m:.2f} s/M; "
          f"{med['bytes'] / med['slices']:.1f} bytes/slice; peak RSS "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    out = HERE / "results"
    out.mkdir(exist_ok=True)
    (out / "pipeline.json").write_text(json.dumps({"runs": results, "median": med}, indent=1))


if __name__ == "__main__":
    main()
