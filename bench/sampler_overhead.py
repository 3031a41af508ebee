"""Overhead of concurtrace's sampler on the traced program: paired, interleaved runs.

    .venv/bin/python bench/sampler_overhead.py [--pairs 30] [--pythons 3.11] [--sample-hz HZ]

Workload: bench/workloads/cpu2_fixed.py (two CPU-bound pure-Python threads, fixed
work). Each pair runs it plainly (`python cpu2_fixed.py`) and under
`python -m concurtrace run --light --quiet -o T.pftrace cpu2_fixed.py`, in
alternating order (plain, light, light, plain, plain, light, ...: the first of
each pair alternates so a drifting machine load does not favour either side).

Measured per run: the workload's own wall time (it prints WORK_WALL_S, the
threaded part only) and the whole command's wall time. Reported: the median of
the per-pair ratios light/plain (target <= 1.03 at the default rate), with a
bootstrap 95 % interval, and the sampler's own statistics from the summary.
Writes bench/results/sampler_overhead.json.
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
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from gil_accuracy import find_pythons, source_state  # noqa: E402

WORKLOAD = HERE / "workloads" / "cpu2_fixed.py"


def run_one(cmd: list[str]) -> tuple[float, float]:
    t0 = time.perf_counter()
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    total = time.perf_counter() - t0
    if res.returncode != 0:
        raise RuntimeError(f"{cmd} exited {res.returncode}: {res.stderr[-500:]}")
    work = next(float(line.split()[1]) for line in res.stdout.splitlines()
                if line.startswith("WORK_WALL_S"))
    return work, total


def bootstrap_ci(values: list[float], n: int = 5000, seed: int = 1) -> tuple[float, float]:
    rng = random.Random(seed)
    meds = sorted(statistics.median(rng.choices(values, k=len(values))) for _ in range(n))
    return meds[int(0.025 * n)], meds[int(0.975 * n)]


def measure(py: str, pairs: int, work: int, sample_hz: float | None,
            workdir: str) -> dict[str, Any]:
    trace = os.path.join(workdir, "overhead.pftrace")
    plain = [py, str(WORKLOAD), str(work)]
    light = [py, "-m", "concurtrace", "run", "--light", "--quiet", "--force", "-o", trace]
    if sample_hz:
        light += ["--sample-hz", str(sample_hz)]
    light += [str(WORKLOAD), str(work)]
    rows = []
    samplers = []
    run_one(plain)  # warm the page cache and .pyc files
    run_one(light)
    for i in range(pairs):
        order = ("plain", "light") if i % 2 == 0 else ("light", "plain")
        got: dict[str, tuple[float, float]] = {}
        for kind in order:
            got[kind] = run_one(plain if kind == "plain" else light)
            if kind == "light":
                out = subprocess.run([py, "-m", "concurtrace", "summary", "--json", trace],
                                     capture_output=True, text=True)
                if out.returncode == 0:
                    samplers.append(json.loads(out.stdout).get("sampler", {}))
        rows.append({"pair": i, "order": order, "load1": os.getloadavg()[0],
                     "plain_work_s": got["plain"][0], "light_work_s": got["light"][0],
                     "plain_total_s": got["plain"][1], "light_total_s": got["light"][1]})
        r = got["light"][0] / got["plain"][0]
        print(f"  pair {i:2d} {order[0]:>5} first: plain {got['plain'][0]:.3f} s, "
              f"light {got['light'][0]:.3f} s, ratio {r:.3f}", flush=True)
    ratios = [r["light_work_s"] / r["plain_work_s"] for r in rows]
    total_ratios = [r["light_total_s"] / r["plain_total_s"] for r in rows]
    lo, hi = bootstrap_ci(ratios)

    def med(key: str) -> float:
        return statistics.median(s.get(key, 0.0) for s in samplers) if samplers else 0.0

    return {
        "pairs": pairs, "rows": rows,
        "median_ratio": statistics.median(ratios), "ci95": [lo, hi],
        "mean_ratio": statistics.fmean(ratios),
        "ratio_of_medians": statistics.median(r["light_work_s"] for r in rows)
        / statistics.median(r["plain_work_s"] for r in rows),
        "q1_q3": [statistics.quantiles(ratios, n=4)[0], statistics.quantiles(ratios, n=4)[2]],
        "median_total_ratio": statistics.median(total_ratios),
        "median_extra_total_s": statistics.median(r["light_total_s"] - r["plain_total_s"]
                                                  for r in rows),
        "median_plain_work_s": statistics.median(r["plain_work_s"] for r in rows),
        "sampler": {"hz_effective": med("hz_effective"), "cpu_s": med("cpu_s"),
                    "wall_s": med("wall_s"), "us_per_sample": med("us_per_sample"),
                    "samples": med("samples")},
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--pairs", type=int, default=30)
    ap.add_argument("--pythons", default="3.11")
    ap.add_argument("--work", type=int, default=4_000_000, help="loop iterations per thread")
    ap.add_argument("--sample-hz", type=float, default=None, help="default: concurtrace's")
    ap.add_argument("--out", default=str(HERE / "results" / "sampler_overhead.json"))
    args = ap.parse_args()
    found = find_pythons()
    results: dict[str, Any] = {}
    workdir = tempfile.mkdtemp(prefix="sampler_overhead-")
    for minor in [v.strip() for v in args.pythons.split(",") if v.strip()]:
        if minor not in found:
            print(f"{minor}: no venv with concurtrace, skipped")
            continue
        print(f"{minor}: {found[minor]}, {args.pairs} pairs", flush=True)
        res = measure(found[minor], args.pairs, args.work, args.sample_hz, workdir)
        results[minor] = res
        s = res["sampler"]
        print(f"{minor}: median ratio light/plain {res['median_ratio']:.4f} "
              f"(95 % CI {res['ci95'][0]:.4f}-{res['ci95'][1]:.4f}, IQR {res['q1_q3'][0]:.3f}-"
              f"{res['q1_q3'][1]:.3f}); ratio of medians {res['ratio_of_medians']:.4f}; "
              f"whole command {res['median_total_ratio']:.3f}x (+{res['median_extra_total_s']:.2f}"
              f" s); sampler {s['hz_effective']:.0f} Hz, {s['cpu_s'] * 1000:.0f} ms CPU over "
              f"{s['wall_s']:.2f} s, {s['us_per_sample']:.1f} us per thread-sample", flush=True)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"date": time.strftime("%Y-%m-%d %H:%M:%S"), "cpus": os.cpu_count(),
                               "concurtrace": source_state(),
                               "work": args.work, "sample_hz": args.sample_hz,
                               "results": results}, indent=1))
    print(f"wrote {out}")
    try:
        os.unlink(os.path.join(workdir, "overhead.pftrace"))
        os.rmdir(workdir)
    except OSError:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
