"""Who spends the CPU that `run --light` adds to pool16 (issues 16 and 18): paired rounds.

    .venv/bin/python bench/light_cost.py [--rounds 8] [--workload pool16|loop1s]
        [--columns untraced,light,light-hz1,light-nosync,light-before] [--label NAME]

Each column runs the workload one way (COLUMNS below; "*-before" columns take concurtrace
from the src tree in $CONCURTRACE_BEFORE). Per run: the workload's own span (WORK_SECONDS
and WORK_SPAN_NS), the whole command, the whole tree's CPU (RUSAGE_CHILDREN), and, polled
every 20 ms from /proc/P/task/*/schedstat (ns), the CPU of the command's own process
(concurtrace's parent for traced columns) inside the workload's span, per thread (the
busiest thread of the parent in that span is its sampler). The traced program's CPU is the
tree's minus the parent's. For traced columns the summary's sampler stats (its own CPU,
effective Hz) are read back after the run, outside every measured time. Rounds run the
columns in a new random order each; ratios are per round against "untraced" (medians).
Raw runs go to bench/results/light-cost[-LABEL].json.
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
import threading
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
PY = sys.executable
LOOP1S = ("import time\nt0 = time.monotonic_ns()\nx = 0\nfor i in range(22_000_000):\n"
          "    x += i\nt1 = time.monotonic_ns()\n"
          "print(f'WORK_SECONDS {(t1 - t0) / 1e9:.6f}\\nWORK_SPAN_NS {t0} {t1}', flush=True)\n")
# pool16 with the CPU its process and its joined workers spent inside the span
POOL16CPU = (f"import resource, sys\nsys.path.insert(0, {str(HERE / 'workloads')!r})\n"
             "import pool16\nfrom pool16 import spin\n"
             "def cpu():\n    return sum(r.ru_utime + r.ru_stime for r in (resource.getrusage("
             "resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)))\n"
             "if __name__ == '__main__':\n    pool16.spin = spin\n    c0 = cpu()\n"
             "    pool16.main()\n    print(f'SPAN_CPU {cpu() - c0:.6f}', flush=True)\n")
WORKLOADS = {"pool16": [str(HERE / "workloads" / "pool16.py"), "64"], "loop1s": [],
             "pool16cpu": ["pool16cpu.py", "64"]}
# column -> (extra `run` options, or None for untraced; uses $CONCURTRACE_BEFORE)
COLUMNS: dict[str, tuple[list[str] | None, bool]] = {
    "untraced": (None, False),
    "light": (["--light"], False),
    "light-hz1": (["--light", "--sample-hz", "1"], False),
    "light-hz100": (["--light", "--sample-hz", "100"], False),
    "light-nosync": (["--light", "--no-sync"], False),
    "light-noasyncio": (["--light", "--no-asyncio"], False),
    "light-before": (["--light"], True),
    "light-before-hz1": (["--light", "--sample-hz", "1"], True),
}


def command(column: str, target: list[str], out: Path) -> tuple[list[str], dict[str, str]]:
    extra, before = COLUMNS[column]
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # as bench/startup.py: compiled modules cached
    if extra is None:
        return [PY, *target], env
    if before:
        env["PYTHONPATH"] = os.environ["CONCURTRACE_BEFORE"]
    return [PY, "-m", "concurtrace", "run", "-o", str(out / "c.pftrace"), "--quiet", "--force",
            *extra, target[0], "--", *target[1:]], env


class TaskPoller(threading.Thread):
    """Every 20 ms: each thread's on-CPU ns of one process (/proc/P/task/T/schedstat)."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.points = pid, []  # type: ignore[var-annotated]
        self.stopping = False

    def run(self) -> None:
        while not self.stopping:
            now, per = time.monotonic_ns(), {}
            try:
                for task in os.listdir(f"/proc/{self.pid}/task"):
                    with open(f"/proc/{self.pid}/task/{task}/schedstat", "rb") as f:
                        per[int(task)] = int(f.read().split()[0])
            except (OSError, ValueError, IndexError):
                pass
            if per:
                self.points.append((now, per))
            time.sleep(0.02)

    def within(self, start: int, end: int) -> dict[int, float]:
        """CPU seconds of each thread between the polls nearest start and end."""
        if not self.points:
            return {}
        first = min(self.points, key=lambda p: abs(p[0] - start))[1]
        last = min(self.points, key=lambda p: abs(p[0] - end))[1]
        return {t: (ns - first.get(t, 0)) / 1e9 for t, ns in last.items()}


def run_one(column: str, target: list[str], out: Path) -> dict[str, Any]:
    cmd, env = command(column, target, out)
    load1 = os.getloadavg()[0]
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.monotonic_ns()
    with tempfile.TemporaryFile() as out_f, tempfile.TemporaryFile() as err_f:
        proc = subprocess.Popen(cmd, stdout=out_f, stderr=err_f, env=env)
        poller = TaskPoller(proc.pid)
        poller.start()
        os.waitid(os.P_PID, proc.pid, os.WEXITED | os.WNOWAIT)
        t1 = time.monotonic_ns()
        with open(f"/proc/{proc.pid}/stat", "rb") as f:  # a zombie: its own CPU, all threads
            fields = f.read().rsplit(b")", 1)[1].split()
        self_cpu_s = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        proc.wait()
        out_f.seek(0)
        err_f.seek(0)
        stdout, stderr = out_f.read(), err_f.read()
    poller.stopping = True
    poller.join()
    done = resource.getrusage(resource.RUSAGE_CHILDREN)
    values = {ln.split()[0]: ln.split()[1:] for ln in stdout.decode().splitlines() if ln.strip()}
    tree_cpu_s = done.ru_utime + done.ru_stime - usage.ru_utime - usage.ru_stime
    run: dict[str, Any] = {"column": column, "load1": load1, "command_s": (t1 - t0) / 1e9,
                           "tree_cpu_s": tree_cpu_s, "self_cpu_s": self_cpu_s,
                           "ok": proc.returncode == 0 and "WORK_SPAN_NS" in values}
    if not run["ok"]:
        run["error"] = stderr.decode()[-600:]
        return run
    start, end = (int(v) for v in values["WORK_SPAN_NS"])
    per = poller.within(start, end)
    ranked = sorted(per.values(), reverse=True)
    run.update(work_s=float(values["WORK_SECONDS"][0]),
               program_cpu_s=tree_cpu_s - (self_cpu_s if COLUMNS[column][0] else 0.0),
               parent_span_cpu_s=sum(ranked),
               parent_top_thread_s=ranked[0] if ranked else 0.0,
               parent_threads=len(ranked))
    if "SPAN_CPU" in values:
        run["span_cpu_s"] = float(values["SPAN_CPU"][0])
    if COLUMNS[column][0] is not None:
        run["parent_others_s"] = sum(ranked[1:])
        if column != "untraced":
            env = command(column, target, out)[1]
            got = subprocess.run([PY, "-m", "concurtrace", "summary", "--json",
                                  str(out / "c.pftrace")], capture_output=True, env=env)
            if got.returncode == 0:
                run["sampler"] = json.loads(got.stdout).get("sampler")
    return run


def median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def report(runs: list[dict[str, Any]], columns: list[str]) -> str:
    rounds = sorted({r["round"] for r in runs})
    cell = {(r["column"], r["round"]): r for r in runs if r["ok"]}
    rows = ["| column | work s | work/untraced | command/untraced | tree CPU s | "
            "tree CPU/untraced | program CPU s | program CPU/untraced | program CPU in span s | "
            "in span/untraced | parent CPU in span s | its busiest thread s | sampler CPU s "
            "| sampler Hz | load1 |", "|---" * 15 + "|"]
    for c in columns:
        got = [cell[c, k] for k in rounds if (c, k) in cell]

        def ratio(key: str, c: str = c) -> str:
            pairs = [cell[c, k][key] / cell["untraced", k][key] for k in rounds
                     if cell.get((c, k), {}).get(key) and cell.get(("untraced", k), {}).get(key)]
            return f"{median(pairs):.3f}" if pairs else "-"

        def med(key: str, sub: str | None = None, got: list[Any] = got) -> str:
            vals = [(g.get(key) or {}).get(sub) if sub else g.get(key) for g in got]
            clean = [v for v in vals if v is not None]
            return f"{median(clean):.3f}" if clean else "-"

        rows.append(f"| {c} | {med('work_s')} | {ratio('work_s')} | {ratio('command_s')} | "
                    f"{med('tree_cpu_s')} | {ratio('tree_cpu_s')} | {med('program_cpu_s')} | "
                    f"{ratio('program_cpu_s')} | {med('span_cpu_s')} | {ratio('span_cpu_s')} | "
                    f"{med('parent_span_cpu_s')} "
                    f"| {med('parent_top_thread_s')} | {med('sampler', 'cpu_s')} | "
                    f"{med('sampler', 'hz_effective')} | {med('load1')} |")
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--workload", default="pool16", choices=sorted(WORKLOADS))
    parser.add_argument("--columns", default="untraced,light,light-hz1,light-nosync")
    parser.add_argument("--label", default="")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--report", type=Path, help="only print the table of a saved JSON")
    args = parser.parse_args()
    if args.report:
        saved = json.loads(args.report.read_text())
        print(report(saved["runs"], saved["meta"]["columns"]))
        return
    columns, rng = args.columns.split(","), random.Random(args.seed)
    runs: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="light-cost-") as tmp:
        out = Path(tmp)
        target = WORKLOADS[args.workload]
        if args.workload == "loop1s":
            (out / "loop1s.py").write_text(LOOP1S)
            target = [str(out / "loop1s.py")]
        if args.workload == "pool16cpu":
            (out / "pool16cpu.py").write_text(POOL16CPU)
            target = [str(out / "pool16cpu.py"), "64"]
        for k in range(args.rounds + 1):  # round 0: warm-up, not kept
            order = columns[:]
            rng.shuffle(order)
            for c in order:
                run = run_one(c, target, out)
                if k:
                    runs.append({**run, "round": k})
            print(f"round {k} done, load1 {os.getloadavg()[0]:.1f}", file=sys.stderr)
    name = f"light-cost{'-' + args.label if args.label else ''}.json"
    meta = {"started": time.strftime("%Y-%m-%d %H:%M:%S"), "workload": args.workload,
            "columns": columns, "python": sys.version.split()[0]}
    (HERE / "results" / name).write_text(json.dumps({"meta": meta, "runs": runs}, indent=1))
    print(report(runs, columns))


if __name__ == "__main__":
    main()
