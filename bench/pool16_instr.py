"""pool16's per-worker and per-result cost under --light, in instructions (issue 16).

    .venv/bin/python bench/pool16_instr.py [--items 0,64] [--before SRC]
        [--columns untraced,light,light-nosync,light-before] [--label NAME]

Load-independent: each column runs pool16's shape (Pool(16), fork, ITEMS items of a tiny
spin, close + join) under `valgrind --tool=callgrind --trace-children=yes`, which follows
the forks; the user-space instructions (Ir) of the parent and of each worker are read
from their callgrind files (a fork child inherits its parent's counts: zeroed at
PyOS_AfterFork_Child, so a worker's count starts right after its fork). Traced columns
run the traced program alone in a --light session made here (as bench/startup.py
--child-only does): no concurtrace parent, so no sampler and no signal watchdog to
register with (the worker's sendmsg fails at once; its pipe and pidfd are still made).
What is left is what the traced program's own processes run: bootstrap, at-fork
handlers, hooks, records. Kernel time (page faults, fork, exit) is not
counted: bench/pool_start_cost.py measures that side. Raw: results/pool16-instr[-LABEL].json.
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

from startup import light_session

HERE = Path(__file__).resolve().parent
PY = sys.executable
WORKLOAD = """
import multiprocessing, sys
def spin(n):
    return sum(range(n))
if __name__ == "__main__":
    pool = multiprocessing.Pool(16)
    pool.map(spin, [1000] * int(sys.argv[1]), chunksize=1)
    pool.close()
    pool.join()
"""


def session(out: Path, name: str, package: Path, sync: bool) -> dict[str, str]:
    return light_session(out, name, package, sync=sync)


def ir(path: Path) -> int:
    for line in path.read_text().splitlines():
        if line.startswith("summary:"):
            return int(line.split()[1])
    raise ValueError(f"no summary in {path}")


def run(column: str, env_extra: dict[str, str], script: Path, items: int, out: Path) -> dict:
    cg = out / f"cg-{column}-{items}"
    cg.mkdir()
    env = {**os.environ, **env_extra}
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # compiled modules cached (compileall first)
    cmd = ["valgrind", "--tool=callgrind", "--trace-children=yes",
           "--zero-before=PyOS_AfterFork_Child",  # a fork child counts from the fork on
           f"--callgrind-out-file={cg}/cg.%p", PY, str(script), str(items)]
    subprocess.run(cmd, env=env, check=True, capture_output=True, timeout=900)
    counts = {int(p.name.split(".")[1]): ir(p) for p in cg.glob("cg.*")}
    parent = min(counts)  # the first pid: the workers are its later forks
    workers = [n for pid, n in counts.items() if pid != parent]
    return {"column": column, "items": items, "parent_ir": counts[parent],
            "workers": len(workers), "worker_ir_median": statistics.median(workers),
            "workers_ir_sum": sum(workers)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", default="0,64")
    parser.add_argument("--columns", default="untraced,light,light-nosync,light-before")
    parser.add_argument("--before", default=os.environ.get("CONCURTRACE_BEFORE", ""))
    parser.add_argument("--label", default="")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory(prefix="pool16instr-") as tmp:
        out = Path(tmp)
        script = out / "pool16_small.py"
        script.write_text(WORKLOAD)
        now = HERE.parent / "src" / "concurtrace"
        envs = {"untraced": {}, "light": session(out, "light", now, True),
                "light-nosync": session(out, "nosync", now, False)}
        if args.before:
            envs["light-before"] = session(out, "before", Path(args.before) / "concurtrace", True)
        for items in (int(i) for i in args.items.split(",")):
            for column in args.columns.split(","):
                if column in envs:
                    rows.append(run(column, envs[column], script, items, out))
                    print(json.dumps(rows[-1]), flush=True)
    label = f"-{args.label}" if args.label else ""
    (HERE / "results" / f"pool16-instr{label}.json").write_text(json.dumps(rows, indent=1))
    print("| column | items | parent Ir (M) | per worker Ir (k, median) | 16 workers Ir (M) |")
    print("|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['column']} | {r['items']} | {r['parent_ir'] / 1e6:.2f} | "
              f"{r['worker_ir_median'] / 1e3:.0f} | {r['workers_ir_sum'] / 1e6:.2f} |")


if __name__ == "__main__":
    main()
