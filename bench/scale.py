"""How far concurtrace scales: big trees traced, exported and loaded by Perfetto's engine.

    .venv/bin/python bench/scale.py [--sizes 1000000x200x32,5000000x200x32] [--light]
                                    [-- extra concurtrace run options]

Each size is CALLSxTHREADSxPROCS for bench/workloads/scale_tree.py. Per run: the whole
command's wall time, concurtrace's own peak RSS (polled; the traced processes are not
counted), the trace size, what Perfetto's trace processor (tools/ptq) loads from it
(slices, processes, threads, import errors) and how long that takes, and the summary's
notes (ring buffer overflows, sampler rate). Results: bench/results/scale.json.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import psutil

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
PTQ = REPO / "tools" / "ptq" / "ptq"


def peak_rss(pid: int, stop: threading.Event, out: list[int]) -> None:
    peak = 0
    try:
        proc = psutil.Process(pid)
        while not stop.wait(0.05):
            peak = max(peak, proc.memory_info().rss)
    except psutil.Error:
        pass
    out.append(peak)


def ptq(trace: Path, *sql: str) -> tuple[list[str], float]:
    env = dict(os.environ, PTQ_PYTHON=sys.executable)
    began = time.perf_counter()
    done = subprocess.run([str(PTQ), "--tsv", str(trace), *sql], capture_output=True,
                          text=True, env=env, timeout=1800)
    if done.returncode != 0:
        return [f"ptq failed ({done.returncode}): {done.stderr.strip()[-300:]}"], 0.0
    values = [line for line in done.stdout.splitlines() if line and not line.startswith("#")]
    return values, time.perf_counter() - began


def one(size: str, extra: list[str], out_dir: Path) -> dict[str, Any]:
    calls, threads, procs = size.split("x")
    trace = out_dir / f"scale-{size}.pftrace"
    argv = [sys.executable, "-m", "concurtrace", "run", "--quiet", "--force", "-o", str(trace),
            *extra, str(HERE / "workloads" / "scale_tree.py"), calls, threads, procs]
    began = time.perf_counter()
    child = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    stop, peaks = threading.Event(), []
    poller = threading.Thread(target=peak_rss, args=(child.pid, stop, peaks))
    poller.start()
    stdout, stderr = child.communicate()
    wall = time.perf_counter() - began
    stop.set()
    poller.join()
    work = next((float(line.split()[1]) for line in stdout.splitlines()
                 if line.startswith("WORK_SECONDS")), None)
    row: dict[str, Any] = {"size": size, "options": extra, "status": child.returncode,
                           "wall_s": wall, "work_s": work, "peak_rss_mb": peaks[0] / 1e6,
                           "stderr_tail": stderr.strip().splitlines()[-3:]}
    if not trace.exists():
        return row
    row["trace_mb"] = trace.stat().st_size / 1e6
    summary = subprocess.run([sys.executable, "-m", "concurtrace", "summary", "--json",
                              str(trace)], capture_output=True, text=True)
    if summary.returncode == 0:
        data = json.loads(summary.stdout)
        row["notes"] = data.get("notes", [])
        row["summary_processes"] = len(data.get("processes", []))
        row["summary_threads"] = len(data.get("threads", []))
    values, load_s = ptq(trace, "select count(*) from slice",
                         "select count(*) from process", "select count(*) from thread",
                         "select count(*) from stats where value > 0 and "
                         "severity in ('error', 'data_loss')")
    row["engine_load_s"] = load_s
    row["engine"] = values
    if len(values) == 8:  # header + value per query
        row["slices"], row["processes"], row["threads"], row["import_errors"] = (
            int(values[i]) for i in (1, 3, 5, 7))
        row["bytes_per_slice"] = trace.stat().st_size / max(row["slices"], 1)
    return row


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="1000000x200x32")
    parser.add_argument("--out-dir", type=Path, default=Path("/tmp/scale-traces"))
    parser.add_argument("extra", nargs="*", help="options passed to concurtrace run")
    args = parser.parse_args()
    args.out_dir.mkdir(parents=True, exist_ok=True)
    rows = []
    for size in args.sizes.split(","):
        row = one(size, args.extra, args.out_dir)
        rows.append(row)
        print(json.dumps(row), flush=True)
    results = HERE / "results"
    results.mkdir(exist_ok=True)
    name = "scale" + ("-" + "-".join(a.strip("-") for a in args.extra) if args.extra else "")
    (results / f"{name}.json").write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
