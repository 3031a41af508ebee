"""How many slices can Perfetto's bundled engine (the UI's 32-bit WASM trace processor) load?

    .venv/bin/python bench/engine_limit.py --slices 10000000,14000000,18000000 [--threads 200]

For each size, writes a synthetic trace shaped like concurtrace's function traces (a
20-deep recursion per thread, few distinct names, no arguments) with concurtrace's own
exporter, then loads it with tools/ptq (the UI's engine under Node) and counts its slices.
Records size, bytes and whether it loaded in bench/results/engine_limit.json.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from concurtrace.exporters import perfetto
from concurtrace.gc_pause import paused_gc
from concurtrace.model.timeline import Process, Slice, Thread, Timeline

HERE = Path(__file__).resolve().parent
PTQ = HERE.parent / "tools" / "ptq" / "ptq"
DEPTH = 20


def synthetic(slices: int, threads: int) -> Timeline:
    timeline = Timeline(root_pid=100, started_ns=0, ended_ns=0)
    proc = timeline.processes[100] = Process(pid=100, name="MainProcess", traced=True)
    per_thread = slices // threads
    names = [f"f{level} (work.py:{level})" for level in range(DEPTH)]
    end = 0
    for index in range(threads):
        thread = proc.threads[100 + index] = Thread(pid=100, tid=100 + index,
                                                    name=f"T{index}", is_main=index == 0)
        ts, out = 1000, thread.slices
        while len(out) < per_thread:  # one call tree: each level 1 us inside its parent
            for level in range(min(DEPTH, per_thread - len(out))):
                out.append(Slice(ts + level * 1000, (DEPTH - level) * 2000, names[level]))
            ts += DEPTH * 2000 + 1000
        end = max(end, ts)
    timeline.ended_ns = end
    return timeline


def loads(path: Path) -> tuple[bool, str, float]:
    start = time.monotonic()
    done = subprocess.run([str(PTQ), "--tsv", str(path), "select count(*) from slice"],
                          capture_output=True, text=True, timeout=1800)
    elapsed = time.monotonic() - start
    text = (done.stdout + done.stderr).strip().replace("\n", " | ")
    return done.returncode == 0 and "out of memory" not in text.lower(), text[-300:], elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--slices", default="10000000,15000000,20000000")
    parser.add_argument("--threads", type=int, default=200)
    args = parser.parse_args()
    results = []
    for size in (int(s) for s in args.slices.split(",")):
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "big.pftrace"
            with paused_gc():
                timeline = synthetic(size, args.threads)
                with open(path, "wb") as stream:
                    perfetto.write(timeline, stream)
            del timeline
            ok, text, elapsed = loads(path)
            row = {"slices": size, "threads": args.threads, "bytes": path.stat().st_size,
                   "loaded": ok, "seconds": round(elapsed, 1), "output": text}
        results.append(row)
        print(json.dumps(row), flush=True)
    out = HERE / "results"
    out.mkdir(exist_ok=True)
    with open(out / "engine_limit.json", "a") as stream:
        for row in results:
            stream.write(json.dumps(row) + "\n")
    sys.exit(0)


if __name__ == "__main__":
    main()
