"""How often a signal handler finds an Event's own lock held by the thread it interrupted
(the window in which a handler's event.set() deadlocks, plain Python's too): plain python,
`concurtrace run --light` and full mode, paired and interleaved rounds, medians.

    .venv/bin/python bench/signal_window.py [--rounds 5] [--timeout 0.0001] [--label NAME]
        [--before SRC]     (SRC: an older src tree, run the same way, "before ...")

Each run: the main thread loops on event.wait(TIMEOUT) for 3 s while another process
sends it SIGUSR1 every 0.3 ms; the handler counts the signals that found the lock held.
Raw counts go to bench/results/signal-window-LABEL.json.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
PROGRAM = '''
import os, signal, subprocess, sys, threading, time
ev = threading.Event()
hits = total = 0
def h(s, f):
    global hits, total
    total += 1
    if ev._cond._lock.locked():
        hits += 1
signal.signal(signal.SIGUSR1, h)
sender = subprocess.Popen([sys.executable, "-S", "-c", """
import os, signal, sys, time
while True:
    try:
        os.kill(int(sys.argv[1]), signal.SIGUSR1)
    except ProcessLookupError:
        break
    time.sleep(0.0003)
""", str(os.getpid())])
end = time.time() + 3
while time.time() < end:
    ev.wait(float(sys.argv[1]))
signal.signal(signal.SIGUSR1, signal.SIG_IGN)
sender.kill(); sender.wait()
print(f"held {hits} of {total}")
'''


def run(command: list[str], env: dict[str, str]) -> float:
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=120)
    found = re.search(r"held (\d+) of (\d+)", done.stdout)
    if found is None:
        raise SystemExit(f"no count from {command}: {done.stdout} {done.stderr}")
    return int(found[1]) / max(1, int(found[2]))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--timeout", default="0.0001")
    parser.add_argument("--label", default="now")
    parser.add_argument("--before", default="")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "window.py"
        script.write_text(PROGRAM)
        trace = str(Path(tmp) / "t.pftrace")
        env = dict(os.environ)
        commands: dict[str, tuple[list[str], dict[str, str]]] = {"plain": (
            [sys.executable, str(script), args.timeout], env)}
        trees = [("", env)]
        if args.before:
            trees.append(("before ", {**env, "PYTHONPATH": args.before}))
        for prefix, tree_env in trees:
            for mode in ("--light", "full"):
                options = ["--light"] if mode == "--light" else []
                commands[prefix + mode] = ([sys.executable, "-m", "concurtrace", "run", "-q",
                                            *options, "-o", trace, "--force", str(script),
                                            args.timeout], tree_env)
        shares: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(args.rounds):
            for name in random.sample(list(commands), len(commands)):
                shares[name].append(run(*commands[name]))
    print(f"{args.rounds} rounds, event.wait({args.timeout}); signals that found the lock held:")
    for name, values in shares.items():
        print(f"  {name:16} median {statistics.median(values):6.2%}  "
              f"({', '.join(f'{v:.2%}' for v in values)})")
    out = HERE / "results" / f"signal-window-{args.label}.json"
    out.write_text(json.dumps({"timeout": args.timeout, "shares": shares}, indent=1))


if __name__ == "__main__":
    main()
