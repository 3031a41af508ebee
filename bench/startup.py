"""Start-up cost (issue 18): paired, interleaved runs of short commands, medians and ratios.

    .venv/bin/python bench/startup.py [--rounds 21] [--label NAME] [--program SECONDS]
        [--before PYTHONPATH] [--child-only]

Each round runs every command once, in a new random order: `python -c pass`,
`python -c 'import typer'` (the CLI's floor), `viztracer -c pass`,
`concurtrace run [--light] -c pass`, `concurtrace --version` and
`--help`, and, with --program, a CPU loop of about SECONDS plainly and under `concurtrace
run --light`. With --before (a PYTHONPATH holding an older src tree, and its typer), the
concurtrace commands also run from there, "before: ...", in the same rounds. Wall time is
the whole command, as a user sees it. Ratios are per round
(paired), reported as medians. --child-only runs `python -c pass` and a traced child alone
(`python -c pass` in a --light session's environment, as every Python of a traced tree
starts: the bootstrap's imports and start, no parent; with --before, that tree's bootstrap
too). Bytecode is compiled first and written (the environment's
PYTHONDONTWRITEBYTECODE is dropped), as for a user's `pip install`. Raw runs go to
bench/results/startup-LABEL.json.
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

HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent
PY = sys.executable
LOOP = ("import sys, time\nend = time.perf_counter() + float(sys.argv[1])\n"
        "while time.perf_counter() < end:\n    pass\n")


# config.json of `concurtrace run --light` (runner/run.py writes it)
LIGHT_CONFIG = {"light": True, "tracer": {"max_stack_depth": -1, "min_duration": 0.0,
                                          "include_files": None, "tracer_entries": 1000000},
                "sync": True, "sync_threshold_ns": 1000000, "asyncio": True,
                "asyncio_slow_ns": 100000000}


def light_session(out: Path, name: str, package: Path, **config: object) -> dict[str, str]:
    """A --light session (LIGHT_CONFIG, then config) whose package is `package`, made as the
    runner makes one but with no parent: the environment a traced child of it needs."""
    # that tree's own text (since startup4, a stub of its runner/sitestart.py)
    probe = ("from concurtrace.runner import session as s\n"
             "print(getattr(s, 'sitecustomize_text', lambda: s.SITECUSTOMIZE)(), end='')\n")
    text = subprocess.run([PY, "-c", probe], capture_output=True, text=True, check=True,
                          env={**os.environ, "PYTHONPATH": str(package.parent)}).stdout

    session = out / name
    (session / "site").mkdir(parents=True)
    (session / "site" / "sitecustomize.py").write_text(text)
    os.symlink(package, session / "site" / "concurtrace")
    (session / "config.json").write_text(json.dumps({**LIGHT_CONFIG, **config}))
    return {"CONCURTRACE_SESSION": str(session), "PYTHONPATH": str(session / "site")}


def child(out: Path, name: str, package: Path) -> list[str]:
    """python -c pass as a traced child of a --light session whose package is `package`."""
    env = light_session(out, name, package)
    return ["env", *(f"{key}={value}" for key, value in env.items()), PY, "-c", "pass"]


def commands(out: Path, program: float, before: str | None,
             child_only: bool = False) -> dict[str, list[str]]:
    if child_only:
        cmds = {"python -c pass": [PY, "-c", "pass"],
                "traced child -c pass": child(out, "now", HERE.parent / "src" / "concurtrace")}
        if before:
            cmds["before: traced child -c pass"] = child(out, "before",
                                                         Path(before) / "concurtrace")
        return cmds
    ct = [str(BIN / "concurtrace")]
    trace = ["-q", "--force", "-o", str(out / "t.pftrace")]
    cmds = {
        "python -c pass": [PY, "-c", "pass"],
        # the floor of every command: the CLI is typer (issue 18 keeps it)
        "python -c 'import typer'": [PY, "-c", "import typer"],
        "viztracer -c pass": [str(BIN / "viztracer"), "--quiet", "-o", str(out / "v.json"),
                              "-c", "pass"],
        "concurtrace run --light -c pass": [*ct, "run", "--light", *trace, "-c", "pass"],
        "concurtrace run -c pass": [*ct, "run", *trace, "-c", "pass"],
        "concurtrace --version": [*ct, "--version"],
        "concurtrace --help": [*ct, "--help"],
    }
    if program:
        script = out / "loop.py"
        script.write_text(LOOP)
        cmds["python loop"] = [PY, str(script), str(program)]
        cmds["concurtrace run --light loop"] = [*ct, "run", "--light", *trace, str(script),
                                                str(program)]
    if before:
        for name in [n for n in cmds if n.startswith("concurtrace")]:
            argv = cmds[name]
            cmds[f"before: {name}"] = ["env", f"PYTHONPATH={before}", PY, "-m", "concurtrace",
                                       *argv[1:]]
    return cmds


def timed(argv: list[str], env: dict[str, str], cpu: list[float] | None = None) -> float:
    """Wall seconds; appends the command's CPU seconds (user+sys of its whole tree) to cpu."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env,
                   check=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if cpu is not None:
        cpu.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
    return wall


def ratios(runs: dict[str, list[float]]) -> dict[str, float]:
    pairs = list(RATIOS) + [(n, f"before: {n}") for n in runs if f"before: {n}" in runs]
    pairs += [(f"before: {a}", b) for a, b in RATIOS if f"before: {a}" in runs]
    found = {}
    for a, b in pairs:
        if a in runs and b in runs:
            paired = [x / y for x, y in zip(runs[a], runs[b], strict=True)]
            found[f"{a} / {b}"] = statistics.median(paired)
            print(f"  {a} / {b}: median ratio {statistics.median(paired):.2f}")
    return found


RATIOS = (("concurtrace run --light -c pass", "viztracer -c pass"),
          ("concurtrace run -c pass", "viztracer -c pass"),
          ("concurtrace run --light -c pass", "python -c pass"),
          ("concurtrace run --light loop", "python loop"),
    ("traced child -c pass", "python -c pass"))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=21)
    parser.add_argument("--label", default="now")
    parser.add_argument("--program", type=float, default=0.0, help="seconds of a CPU loop")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--before", help="PYTHONPATH of an older src tree (and its typer)")
    parser.add_argument("--child-only", action="store_true",
                        help="only python -c pass and the traced child (now, before)")
    args = parser.parse_args()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    subprocess.run([PY, "-m", "compileall", "-q", str(HERE.parent / "src")], env=env,
                   stdout=subprocess.DEVNULL, check=False)
    rng = random.Random(args.seed)
    runs: dict[str, list[float]] = {}
    cpu: dict[str, list[float]] = {}
    load_start = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        cmds = commands(Path(tmp), args.program, args.before, args.child_only)
        for argv in cmds.values():  # warm-up: page cache, pyc files
            timed(argv, env)
        for _ in range(args.rounds):
            order = list(cmds)
            rng.shuffle(order)
            for name in order:
                runs.setdefault(name, []).append(timed(cmds[name], env,
                                                       cpu.setdefault(name, [])))
    print(f"{args.rounds} rounds, label {args.label!r}, load1 {load_start:.2f} at the start, "
          f"{os.getloadavg()[0]:.2f} at the end")
    for name, times in sorted(runs.items()):
        print(f"  {name:34} median {statistics.median(times) * 1000:7.1f} ms  "
              f"(min {min(times) * 1000:6.1f}); CPU {statistics.median(cpu[name]) * 1000:6.1f} ms")
    found = ratios(runs)
    print("  CPU time (user+sys):")
    found_cpu = ratios(cpu)
    results = HERE / "results"
    results.mkdir(exist_ok=True)
    (results / f"startup-{args.label}.json").write_text(json.dumps(
        {"rounds": args.rounds, "python": sys.version, "load1": os.getloadavg()[0],
         "load1_start": load_start, "before": args.before, "runs": runs, "ratios": found,
         "cpu_runs": cpu, "cpu_ratios": found_cpu},
        indent=1))


if __name__ == "__main__":
    main()
