"""Wall-time overhead of concurtrace (issue 7): paired, interleaved runs over fixed workloads.

    .venv/bin/python bench/overhead.py [--rounds 15] [--warmup 1] [--seed 7]
        [--workloads call_storm,pool_mixed,convoy,pool16]
        [--columns untraced,viztracer,full,light,py-spy]

Each workload (bench/workloads/: call_storm_timed.py, pool_mixed.py, convoy_fixed.py,
pool16.py) does a fixed amount of work and prints "WORK_SECONDS" and "WORK_SPAN_NS start
end" (CLOCK_MONOTONIC) for its measured part. Each column runs it one way: plainly,
under `viztracer` alone (the options concurtrace gives VizTracer: 1,000,000 entries,
unlimited depth, min duration 0), `concurtrace run` (full), `concurtrace run --light`,
and `py-spy record --subprocesses`. A round runs every (workload, column) cell once,
workloads and columns in a new random order each round. Ratios are taken per round
(paired) and reported as the median with a bootstrap 95 % interval, for the workload's
own time and for the whole command. For the wrapper columns (concurtrace, py-spy) the
harness also notes when the traced tree has ended (no children left), so "post" is the
post-run step alone. Raw runs go to bench/results/overhead.json; tables to stdout.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent
PY = sys.executable
WORKLOADS: dict[str, list[str]] = {
    "call_storm": ["call_storm_timed.py", "300000"],
    "pool_mixed": ["pool_mixed.py", "96"],
    "convoy": ["convoy_fixed.py", "2000"],
    "pool16": ["pool16.py", "64"],
    # not in the default set: post-run vs VizTracer's own save on a near-full ring buffer
    "call_storm_1m": ["call_storm_timed.py", "990000"],
    # not in the default set: issue 16's lock storm, 4 threads x 200k `with lock:`
    "lock_storm": ["lock_storm_timed.py", "200000"],
}
DEFAULT_WORKLOADS = ("call_storm", "pool_mixed", "convoy", "pool16")
COLUMNS = ("untraced", "viztracer", "full", "light", "py-spy")
# not in the default set: `--light --no-sync` (the sync hooks' share of --light's cost)
# The target runs as a child of the measured command. "full-before": `concurtrace run` from
# the src tree in $CONCURTRACE_BEFORE (a PYTHONPATH), for paired before/after rounds.
# "light-before": `--light` from $CONCURTRACE_BEFORE, for paired before/after rounds of it.
WRAPPERS = ("full", "light", "py-spy", "full-before", "light-nosync", "light-before")
RATIOS = (("viztracer", "untraced"), ("full", "untraced"), ("full", "viztracer"),
          ("light", "untraced"), ("py-spy", "untraced"), ("full-before", "full"),
          ("light-nosync", "untraced"), ("light", "light-nosync"),
          ("light-before", "untraced"), ("light", "light-before"))


def command(column: str, workload: str, out: Path) -> list[str]:
    script, *args = WORKLOADS[workload]
    target = [str(HERE / "workloads" / script), *args]
    if column == "untraced":
        return [PY, *target]
    if column == "viztracer":
        return [str(BIN / "viztracer"), "--quiet", "--tracer_entries", "1000000",
                "-o", str(out / "v.json"), *target]
    if column in ("full", "light", "full-before", "light-nosync", "light-before"):
        light = {"light": ["--light"], "light-nosync": ["--light", "--no-sync"],
                 "light-before": ["--light"]}.get(column, [])
        before = (["env", f"PYTHONPATH={os.environ['CONCURTRACE_BEFORE']}"]
                  if column in ("full-before", "light-before") else [])
        return [*before, PY, "-m", "concurtrace", "run", "-o", str(out / "c.pftrace"), "--quiet",
                "--force", *light, target[0], "--", *args]
    return [str(BIN / "py-spy"), "record", "-o", str(out / "p.speedscope"), "--format",
            "speedscope", "--subprocesses", "--", PY, *target]


def has_children(pid: int) -> bool:
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return False
    for task in tasks:
        try:
            if Path(f"/proc/{pid}/task/{task}/children").read_text().strip():
                return True
        except OSError:
            continue
    return False


def run_one(cmd: list[str], wrapper: bool, out: Path) -> dict[str, Any]:
    """One run: whole-command time, the workload's time, and (wrappers) the post-run step."""
    for old in out.iterdir():
        old.unlink()
    load1 = os.getloadavg()[0]
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    with tempfile.TemporaryFile("w+") as err:
        t0 = time.monotonic_ns()
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=err, text=True)
        assert proc.stdout is not None
        lines: list[str] = []
        for line in proc.stdout:  # stop at the span line: the wrapper still holds stdout
            lines.append(line)
            if line.startswith("WORK_SPAN_NS"):
                break
        tree_end = None
        if wrapper and lines and lines[-1].startswith("WORK_SPAN_NS"):
            while proc.poll() is None and has_children(proc.pid):
                time.sleep(0.002)
            tree_end = time.monotonic_ns()
        rest, _ = proc.communicate(timeout=900)
        t1 = time.monotonic_ns()
        done = resource.getrusage(resource.RUSAGE_CHILDREN)
        err.seek(0)
        stderr = err.read()
    values = {ln.split()[0]: ln.split()[1:] for ln in lines + rest.splitlines() if ln.strip()}
    cpu_s = done.ru_utime + done.ru_stime - usage.ru_utime - usage.ru_stime  # the whole tree
    run: dict[str, Any] = {"returncode": proc.returncode, "command_s": (t1 - t0) / 1e9,
                           "cpu_s": cpu_s,
                           "load1": load1, "ok": False,
                           "out_bytes": sum(f.stat().st_size for f in out.iterdir())}
    if proc.returncode != 0 or "WORK_SPAN_NS" not in values:
        run["error"] = (stderr or rest)[-800:]
        return run
    start, end = (int(v) for v in values["WORK_SPAN_NS"])
    run.update(ok=True, work_s=float(values["WORK_SECONDS"][0]), head_s=(start - t0) / 1e9,
               tail_s=(t1 - end) / 1e9,
               post_s=None if tree_end is None else (t1 - tree_end) / 1e9)
    return run


def bootstrap_ci(values: list[float], rng: random.Random, n: int = 4000) -> tuple[float, float]:
    meds = sorted(statistics.median(rng.choices(values, k=len(values))) for _ in range(n))
    return meds[int(0.025 * n)], meds[int(0.975 * n) - 1]


def summarise(runs: list[dict[str, Any]], workloads: list[str], columns: list[str],
              seed: int) -> dict[str, Any]:
    rng = random.Random(seed)
    cell = {(r["workload"], r["column"], r["round"]): r for r in runs if r["ok"]}
    rounds = sorted({r["round"] for r in runs})
    out: dict[str, Any] = {}
    for w in workloads:
        s: dict[str, Any] = {"ok": {c: sum((w, c, k) in cell for k in rounds) for c in columns}}
        for c in columns:
            got = [cell[w, c, k] for k in rounds if (w, c, k) in cell]
            for key in ("work_s", "command_s", "head_s", "tail_s", "post_s", "cpu_s"):
                vals = [g[key] for g in got if g.get(key) is not None]
                s[f"{c}.{key}"] = statistics.median(vals) if vals else None
            posts = [g["post_s"] / g["command_s"] for g in got if g.get("post_s") is not None]
            s[f"{c}.post_share"] = statistics.median(posts) if posts else None
        for a, b in RATIOS:
            if a not in columns or b not in columns:
                continue
            for key in ("work_s", "command_s", "cpu_s"):
                pairs = [cell[w, a, k][key] / cell[w, b, k][key] for k in rounds
                         if (w, a, k) in cell and (w, b, k) in cell]
                if pairs:
                    s[f"{a}/{b}.{key}"] = [statistics.median(pairs), *bootstrap_ci(pairs, rng)]
        out[w] = s
    return out


def table(summary: dict[str, Any], key: str, title: str) -> str:
    heads = [f"{a}/{b}" for a, b in RATIOS if any(f"{a}/{b}.{key}" in s for s in summary.values())]
    rows = [f"**{title}**", "", "| workload | untraced (median s) | " + " | ".join(heads) + " |",
            "|---" * (len(heads) + 2) + "|"]
    for w, s in summary.items():
        base = s.get(f"untraced.{key}")
        cells = [f"{base:.3f}" if base is not None else "-"]
        for h in heads:
            v = s.get(f"{h}.{key}")
            cells.append(f"{v[0]:.2f} ({v[1]:.2f}-{v[2]:.2f})" if v else "-")
        rows.append(f"| {w} | " + " | ".join(cells) + " |")
    return "\n".join(rows)


def post_table(summary: dict[str, Any]) -> str:
    rows = ["**Where the whole command's time goes (medians, s): head = start to workload start; "
            "tail = workload end to command end; post = tree end to command end (wrappers "
            "only); share = post / whole command**", "",
            "| workload | column | whole command | head | work | tail | post | post share |",
            "|---|---|---|---|---|---|---|---|"]
    for w, s in summary.items():
        for c in ("untraced", "viztracer", *WRAPPERS):
            if s.get(f"{c}.command_s") is None:
                continue
            post, share = s.get(f"{c}.post_s"), s.get(f"{c}.post_share")
            times = " | ".join(f"{s[f'{c}.{k}']:.2f}" for k in ("command_s", "head_s", "work_s",
                                                                 "tail_s"))
            rows.append(f"| {w} | {c} | {times} | "
                        + (f"{post:.2f} | {share:.0%} |" if post is not None else "- | - |"))
    return "\n".join(rows)


def git(*args: str) -> str:
    return subprocess.run(["git", "-C", str(HERE.parent), *args], capture_output=True,
                          text=True).stdout.strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--warmup", type=int, default=1, help="unrecorded rounds first")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--workloads", default=",".join(DEFAULT_WORKLOADS))
    parser.add_argument("--columns", default=",".join(COLUMNS))
    parser.add_argument("--report", type=Path, help="only print the tables of a saved JSON")
    parser.add_argument("--label", default="", help="results go to overhead[-LABEL].json")
    args = parser.parse_args()
    if args.report:
        saved = json.loads(args.report.read_text())
        report(saved["meta"], summarise(saved["runs"], saved["meta"]["args"]["workloads"]
                                        .split(","), saved["meta"]["args"]["columns"]
                                        .split(","), saved["meta"]["args"]["seed"]))
        return
    workloads, columns = args.workloads.split(","), args.columns.split(",")
    rng = random.Random(args.seed)
    meta: dict[str, Any] = {
        "started": time.strftime("%Y-%m-%d %H:%M:%S"), "python": sys.version.split()[0],
        "commit": git("rev-parse", "--short", "HEAD"),
        "src_dirty": git("status", "--porcelain", "src"), "cpus": os.cpu_count(),
        "workloads": {w: WORKLOADS[w] for w in workloads}, "args": vars(args)}
    runs: list[dict[str, Any]] = []
    t_start = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="overhead-") as tmp:
        for k in range(-args.warmup, args.rounds):
            for w in rng.sample(workloads, len(workloads)):
                for i, c in enumerate(rng.sample(columns, len(columns))):
                    run = run_one(command(c, w, Path(tmp)), c in WRAPPERS, Path(tmp))
                    run.update(round=k, workload=w, column=c, order=i)
                    if k >= 0:
                        runs.append(run)
                    if not run["ok"]:
                        print(f"round {k} {w} {c} failed: {run.get('error', '')[-300:]}",
                              file=sys.stderr)
            print(f"round {k} done ({time.monotonic() - t_start:.0f} s, load1 "
                  f"{os.getloadavg()[0]:.2f})", file=sys.stderr, flush=True)
    meta["elapsed_s"] = time.monotonic() - t_start
    meta["load1"] = {"median": statistics.median(r["load1"] for r in runs),
                     "max": max(r["load1"] for r in runs)}
    summary = summarise(runs, workloads, columns, args.seed)
    (HERE / "results").mkdir(exist_ok=True)
    name = f"overhead-{args.label}.json" if args.label else "overhead.json"
    (HERE / "results" / name).write_text(
        json.dumps({"meta": meta, "summary": summary, "runs": runs}, indent=1))
    report(meta, summary)


def report(meta: dict[str, Any], summary: dict[str, Any]) -> None:
    failed = {w: {c: n for c, n in s["ok"].items() if n < meta["args"]["rounds"]}
              for w, s in summary.items()}
    print(f"{meta['args']['rounds']} rounds, {meta['elapsed_s'] / 60:.1f} min, load1 median "
          f"{meta['load1']['median']:.2f} (max {meta['load1']['max']:.2f}); ratio = median of "
          "per-round ratios (bootstrap 95 % CI); runs ok where not all: "
          f"{ {w: f for w, f in failed.items() if f} }\n")
    print(table(summary, "work_s", "Workload's own wall time"), end="\n\n")
    print(table(summary, "command_s", "Whole command wall time"), end="\n\n")
    print(table(summary, "cpu_s", "Whole command CPU time (user+sys of the process tree)"),
          end="\n\n")
    print(post_table(summary))


if __name__ == "__main__":
    main()
