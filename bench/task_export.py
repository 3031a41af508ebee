"""The Perfetto export of an asyncio run's timeline, two source trees paired on the same
timeline (exporters/protowire_events.py against the pbmsg special-slice path).

    .venv/bin/python bench/task_export.py --before DIR [--pairs 9] [--requests 10000]
        [--json F]

Runs bench/workloads/asyncio_echo.py under concurtrace's light mode once (in a child
process), pickles its timeline, then exports it in a fresh process per measurement,
alternating the installed tree ("now") and --before (e.g. `git archive <commit> src |
tar -x -C /tmp/old`, then --before /tmp/old/src), which one first at random per pair.
Prints the median CPU (user+sys of the export alone) and wall seconds, per task slice,
and whether both trees wrote the same bytes (compressed and uncompressed).
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

WORKLOAD = Path(__file__).parent / "workloads" / "asyncio_echo.py"

MAKE = r"""
import pickle, sys
from concurtrace.exporters.task_tracks import task_tracks
from concurtrace.runner.run import RunConfig, run
timeline = run(RunConfig(target_argv=sys.argv[2:], light=True)).timeline
pickle.dump(timeline, open(sys.argv[1], "wb"))
rows = task_tracks(timeline)
print(sum(len(pieces) for tracks in rows.values() for _, pieces, _ in tracks))
"""

EXPORT = r"""
import hashlib, io, json, pickle, sys, time
from concurtrace.exporters import perfetto
from concurtrace.gc_pause import paused_gc
timeline = pickle.load(open(sys.argv[1], "rb"))
out = {}
for compress in (True, False):
    buffer = io.BytesIO()
    cpu, wall = time.process_time(), time.perf_counter()
    with paused_gc():  # as cli_support.write_trace does
        perfetto.write(timeline, buffer, compress=compress)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    out["zlib" if compress else "raw"] = {"cpu_s": cpu, "wall_s": wall,
        "bytes": len(buffer.getvalue()), "sha256": hashlib.sha256(buffer.getvalue()).hexdigest()}
print(json.dumps(out))
"""


def _export(pickled: Path, src: str | None) -> dict[str, dict[str, float | str]]:
    env = dict(os.environ)
    if src:
        env["PYTHONPATH"] = src
    done = subprocess.run([sys.executable, "-c", EXPORT, str(pickled)], capture_output=True,
                          text=True, check=True, env=env)
    return json.loads(done.stdout)  # type: ignore[no-any-return]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--before", required=True, help="another tree's src/ directory")
    parser.add_argument("--pairs", type=int, default=9)
    parser.add_argument("--requests", type=int, default=10_000)
    parser.add_argument("--json", help="write the raw results here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        pickled = Path(tmp) / "timeline.pickle"
        made = subprocess.run([sys.executable, "-c", MAKE, str(pickled), str(WORKLOAD),
                               str(args.requests)], capture_output=True, text=True, check=True)
        task_slices = int(made.stdout.split()[-1])
        runs: dict[str, list[dict[str, dict[str, float | str]]]] = {"now": [], "before": []}
        loads = []
        for _ in range(args.pairs):
            for name in random.sample(list(runs), 2):
                runs[name].append(_export(pickled, args.before if name == "before" else None))
            loads.append(os.getloadavg()[0])
    print(f"{task_slices} task slices, {args.pairs} pairs, {sys.version.split()[0]}, "
          f"load {min(loads):.1f}-{max(loads):.1f}")
    for kind in ("zlib", "raw"):
        for name, results in runs.items():
            cpu = statistics.median(float(r[kind]["cpu_s"]) for r in results)
            wall = statistics.median(float(r[kind]["wall_s"]) for r in results)
            print(f"{kind:4} {name:6} CPU {cpu:6.3f} s  wall {wall:6.3f} s  "
                  f"{cpu / task_slices * 1e6:6.1f} µs CPU per task slice  "
                  f"{results[0][kind]['bytes']} bytes")
        same = {r[kind]["sha256"] for rs in runs.values() for r in rs}
        print(f"{kind:4} same bytes in every export: {len(same) == 1}")
    if args.json:
        Path(args.json).write_text(json.dumps({
            "python": sys.version, "pairs": args.pairs, "requests": args.requests,
            "task_slices": task_slices, "load": loads, "runs": runs},
            indent=1))


if __name__ == "__main__":
    main()
