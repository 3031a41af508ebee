"""VizTracer's own save of N calls, CPU and wall, beside concurtrace's post-run (issue 18).

    .venv/bin/python bench/viztracer_save.py [--calls 990000] [--rounds 3] [--session DIR]

Each round, in a fresh process: VizTracer (the options concurtrace gives it: 1,000,000
entries, no depth limit, min duration 0) traces bench/workloads/call_storm.py's f() for
N calls, then `save()` writes its JSON (what `viztracer script.py` does at exit); the
save's CPU and wall time are measured alone. With --session (a kept concurtrace session
of the same calls, bench/pipeline.py), concurtrace's post-run step (read, merge,
lifecycle, analysis, export) is measured in the same round, the two in a new random order
each round. Raw results: bench/results/viztracer-save-LABEL.json.
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
SAVE = r'''
import json, sys, time
from viztracer import VizTracer
sys.setrecursionlimit(10000)
def f(n):
    return n if n < 2 else f(n - 1) + 1
calls = int(sys.argv[1])
tracer = VizTracer(tracer_entries=1_000_000, max_stack_depth=-1, min_duration=0,
                   output_file=sys.argv[2], verbose=0)
tracer.start()
for _ in range(calls // 20):
    f(20)
tracer.stop()
t0, c0 = time.perf_counter(), time.process_time()
tracer.save()
print(json.dumps({"save_s": time.perf_counter() - t0, "save_cpu_s": time.process_time() - c0}))
'''


def viztracer_save(calls: int, out: Path) -> dict[str, float]:
    done = subprocess.run([sys.executable, "-c", SAVE, str(calls), str(out)],
                          capture_output=True, text=True, check=True)
    result: dict[str, float] = json.loads(done.stdout.splitlines()[-1])
    return result


def post_run(session: Path) -> dict[str, float]:
    sys.path.insert(0, str(HERE))
    from pipeline import measure  # type: ignore[import-not-found]

    return measure(session, None)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=990_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--session", type=Path)
    parser.add_argument("--label", default="now")
    args = parser.parse_args()
    rounds = []
    with tempfile.TemporaryDirectory(prefix="concurtrace-bench-") as tmp:
        for _ in range(args.rounds):
            row: dict[str, object] = {"load1": os.getloadavg()[0]}
            for what in random.sample(["viztracer", "concurtrace"], 2):
                if what == "viztracer":
                    row["viztracer"] = viztracer_save(args.calls, Path(tmp) / "v.json")
                elif args.session is not None:
                    row["concurtrace"] = post_run(args.session)
            rounds.append(row)
            print(json.dumps(row))
    saves = [r["viztracer"]["save_cpu_s"] for r in rounds]  # type: ignore[index]
    print(f"VizTracer save: CPU median {statistics.median(saves):.2f} s")
    if args.session is not None:
        ratio = [r["viztracer"]["save_cpu_s"] / r["concurtrace"]["cpu_s"]  # type: ignore[index]
                 for r in rounds]
        print(f"VizTracer save CPU / concurtrace post-run CPU: median "
              f"{statistics.median(ratio):.2f}x")
    out = HERE / "results" / f"viztracer-save-{args.label}.json"
    out.write_text(json.dumps({"calls": args.calls, "rounds": rounds}, indent=1))


if __name__ == "__main__":
    main()
