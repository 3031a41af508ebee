"""Where the wall time of one `concurtrace run` goes (issue 18): a timeline of its phases.

    .venv/bin/python bench/startup_phases.py [--rounds 9] [--label NAME] [--before SRC]
        [-- RUN-ARGS ...]          (default run args: --light -q -c pass)

Each round starts the command as `python -c WRAPPER run RUN-ARGS` and, with --before (a
PYTHONPATH holding an older src tree), the same from there, in a new random order. WRAPPER
stamps time.monotonic_ns() (CLOCK_MONOTONIC, the same clock in every process) as the
modules of the run path are imported: the first line of the interpreter, the CLI imported,
runner.run.run() entered (the command parsed), the session made, the watchdog and sampler
started, the posix_spawn of the target, the prefetch joined, the post-run steps, the trace
written and the command's end; the traced child's own records (kept with
CONCURTRACE_KEEP_TEMP, then removed) give its hello (interpreter, sitecustomize, bootstrap)
and finalize (program run, up to its exit handlers), and the parent's reap its exit;
"child held" is when the target, its interpreter and our bootstrap's imports done, began to
wait for the go (a stamp file the wrapper's copy of the session's sitecustomize writes).
The command is entered as the console script enters it (console.main: the sentinel's fork,
the collector off, its exit); "end" is the first atexit handler, "exit seen" the harness's
wait ending.
Medians of each phase's ms from the previous stamp; raw stamps to
bench/results/startup-phases-LABEL.json. Instrumented: the stamps cost ~0.1 ms each.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
PY = sys.executable

# Runs in the measured process: patches the run path as its modules are imported, so the
# import order (and so what each phase pays) is the command's own.
WRAPPER = r'''
import time as _t
_T = {"interp": _t.monotonic_ns()}
import os, sys, importlib.machinery as _m
def _stamp(name):
    _T.setdefault(name, _t.monotonic_ns())
def _wrap(obj, attr, before=None, after=None, result=None):
    orig = getattr(obj, attr)
    def inner(*a, **k):
        if before: _stamp(before)
        try:
            found = orig(*a, **k)
            if result: result(found)
            return found
        finally:
            if after: _stamp(after)
    setattr(obj, attr, inner)
_SESSION = []
def _session(session):
    _SESSION.append(str(session.directory))
def _patch_run(m):
    _stamp("runner.run imported")
    _wrap(m, "run", before="run() entered (CLI parsed)")
    _wrap(m, "create_session", after="session made", result=_session)
    _wrap(m, "_size_checks", after="timeline built")
def _reaped(outcome):
    _T["child reaped"] = outcome.statuses[outcome.root_pid][0]
def _patch_launch(m):
    _wrap(m.os, "posix_spawn", before="spawn", after="spawned")
    _wrap(m.Launcher, "run", result=_reaped)
_HELD = (
    "    go = _os.environ.pop(\"CONCURTRACE_GO_FD\", None)\n"
    "    if go is not None:\n"
    "        _stamp_f = open(_os.path.join(_os.environ[\"CONCURTRACE_SESSION\"], "
    "\"phases-held\"), \"w\")\n"
    "        import time as _t\n"
    "        _stamp_f.write(str(_t.monotonic_ns())); _stamp_f.close()\n")
_HELD_STUB = (  # since startup4 the hold is runner/sitestart.py's: wrapped from the stub
    "    import concurtrace.runner.sitestart as _s, os as _o, time as _t\n"
    "    def _held(hold=_s.hold_for_the_go):\n"
    "        if \"CONCURTRACE_GO_FD\" in _o.environ:\n"
    "            with open(_o.path.join(_o.environ[\"CONCURTRACE_SESSION\"], "
    "\"phases-held\"), \"w\") as f:\n"
    "                f.write(str(_t.monotonic_ns()))\n"
    "        hold()\n"
    "    _s.hold_for_the_go = _held\n"
    "    _concurtrace_boot(__file__)\n")
def _patch_session(m):  # the held child stamps when its start is done and it waits
    if hasattr(m, "sitecustomize_text"):
        m.SITECUSTOMIZE = m.SITECUSTOMIZE.replace("    _concurtrace_boot(__file__)\n",
                                                  _HELD_STUB)
        return
    text = m.SITECUSTOMIZE.replace(
        "    go = _os.environ.pop(\"CONCURTRACE_GO_FD\", None)\n", _HELD)
    if text != m.SITECUSTOMIZE:
        m.SITECUSTOMIZE = text
def _patch_records(m):  # patched where run() (or, before startup4, runner.run) imports it
    _wrap(m, "read_session", after="records read")
PATCH = {"concurtrace.runner.run": _patch_run, "concurtrace.model.records": _patch_records,
         "concurtrace.runner.session": _patch_session,
         "concurtrace.runner.launch": _patch_launch,
         "concurtrace.cli_support":
             lambda m: _wrap(m, "write_trace", before="write trace", after="trace written"),
         "concurtrace.runner.watchdog":
             lambda m: _wrap(m.SignalWatchdog, "start", after="watchdog started"),
         "concurtrace.sampler.tree":
             lambda m: _wrap(m.TreeSampler, "start", after="sampler started"),
         "concurtrace.runner.livedeadlock":
             lambda m: _wrap(m.LiveDetector, "start", after="live detector started"),
         "concurtrace.runner.prefetch": lambda m: (
             _wrap(m.Prefetch, "start", before="prefetch started (go)"),
             _wrap(m.Prefetch, "join", after="prefetch joined"))}
class _Finder:
    def find_spec(self, name, path=None, target=None):
        if name not in PATCH:
            return None
        spec = _m.PathFinder.find_spec(name, path)
        if spec is None or spec.loader is None:
            return spec
        orig = spec.loader.exec_module
        def exec_module(module, orig=orig, name=name):
            orig(module)
            PATCH[name](module)
        spec.loader.exec_module = exec_module
        return spec
sys.meta_path.insert(0, _Finder())
def _save():
    _stamp("end")
    import json
    with open(os.environ["PHASES_OUT"], "w") as f:
        json.dump({"stamps": _T, "session": _SESSION[0] if _SESSION else None}, f)
PATCH["concurtrace.cli"] = lambda m: _stamp("cli imported")
sys.argv = ["concurtrace"] + sys.argv[1:]
_stamp("wrapper ready")
import atexit
atexit.register(_save)  # console.main may leave by os._exit once the atexit handlers ran
from concurtrace.console import main as _main
_main()  # the console script's entry point: its sentinel fork, collector and exit
'''

ORDER = ("interp", "wrapper ready", "cli imported", "runner.run imported",
         "run() entered (CLI parsed)", "session made", "spawn", "spawned", "watchdog started",
         "sampler started", "live detector started", "child held", "prefetch started (go)",
         "child hello",
         "child finalize", "child reaped", "prefetch joined", "records read", "timeline built",
         "write trace", "trace written", "end", "exit seen")


def one(argv: list[str], env: dict[str, str], tmp: Path) -> dict[str, float]:
    out = tmp / "phases.json"
    start = time.monotonic_ns()
    subprocess.run(argv, env={**env, "PHASES_OUT": str(out), "CONCURTRACE_KEEP_TEMP": "1"},
                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=True, cwd=tmp)
    seen = time.monotonic_ns()
    found = json.loads(out.read_text())
    stamps: dict[str, int] = found["stamps"]
    stamps["exit seen"] = seen
    session = found["session"]
    root = min(glob.glob(os.path.join(session, "life-*.jsonl")), key=os.path.getmtime)
    for line in Path(root).read_text().splitlines():
        record = json.loads(line)
        if record.get("ev") in ("hello", "finalize"):
            stamps.setdefault(f"child {record['ev']}", record["ts"])
    held = Path(session) / "phases-held"
    if held.exists():
        stamps["child held"] = int(held.read_text())
    shutil.rmtree(session, ignore_errors=True)
    return {name: (ts - start) / 1e6 for name, ts in stamps.items()}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--label", default="now")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--before", help="PYTHONPATH of an older src tree")
    parser.add_argument("run_args", nargs="*", default=["--light", "-q", "-c", "pass"])
    args = parser.parse_args()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE",
                                                            "PYTHONPATH")}
    trees = {"now": str(HERE.parent / "src")}
    if args.before:
        trees["before"] = args.before
    for src in trees.values():
        subprocess.run([PY, "-m", "compileall", "-q", src], env=env,
                       stdout=subprocess.DEVNULL, check=False)
    rng = random.Random(args.seed)
    runs: dict[str, list[dict[str, float]]] = {name: [] for name in trees}
    load = [os.getloadavg()[0]]
    with tempfile.TemporaryDirectory() as tmp:
        argv = [PY, "-c", WRAPPER, "run", *args.run_args, "--force", "-o",
                str(Path(tmp) / "t.pftrace")]
        for _ in range(args.rounds + 1):  # the first round warms the caches, not kept
            order = list(trees)
            rng.shuffle(order)
            for name in order:
                found = one(argv, {**env, "PYTHONPATH": trees[name]}, Path(tmp))
                runs[name].append(found)
        for name in trees:
            runs[name] = runs[name][1:]
    load.append(os.getloadavg()[0])
    print(f"{args.rounds} rounds, run {' '.join(args.run_args)}, load1 {load[0]:.2f} -> "
          f"{load[1]:.2f}; ms, medians: at (since command start) / phase (since previous)")
    for name, rounds in runs.items():
        print(f"{name}:")
        previous = "start"
        seen = [stamp for stamp in ORDER if any(stamp in r for r in rounds)]
        at = {stamp: statistics.median(r[stamp] for r in rounds if stamp in r) for stamp in seen}
        for stamp in sorted(seen, key=at.__getitem__):  # each tree's own order
            values = [r[stamp] for r in rounds if stamp in r]
            step = [r[stamp] - r.get(previous, 0.0) for r in rounds if stamp in r]
            print(f"  {stamp:30} at {statistics.median(values):7.1f}   "
                  f"+{statistics.median(step):6.1f}")
            previous = stamp
    results = HERE / "results"
    results.mkdir(exist_ok=True)
    (results / f"startup-phases-{args.label}.json").write_text(json.dumps(
        {"rounds": args.rounds, "run_args": args.run_args, "python": sys.version,
         "load1": load, "before": args.before, "runs": runs}, indent=1))


if __name__ == "__main__":
    main()
