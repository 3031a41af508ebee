"""Cost of the composed-object truth changes (synctruth, 2026-12-02): paired, interleaved.

    .venv/bin/python bench/sync_composed_cost.py --other /work/main/.venv/bin/python [--runs 7]

A script makes Semaphores, does uncontended release/acquire pairs, Queue put/get_nowait
and queue._PySimpleQueue put/get (hooked now), timing each loop itself (start-up does
not count), under `concurtrace run --light` with this checkout's interpreter and with
--other's (another checkout), in alternating order. Prints per-loop medians (ns/op),
the ratio, the runs' CPU (user+sys of the whole tree) and load1; writes nothing.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

LOOP = '''
import queue, threading, time
N = 100_000
def timed(name, body):
    start = time.perf_counter_ns(); body(); print(name, (time.perf_counter_ns() - start) / N)
def make():
    for _ in range(N):
        threading.Semaphore(1)
sem = threading.Semaphore(0)
def pairs():
    for _ in range(N):
        sem.release(); sem.acquire()
q = queue.Queue()
def queue_ops():
    for _ in range(N):
        q.put(1); q.get_nowait()
pq = queue._PySimpleQueue()
def simple_ops():
    for _ in range(N):
        pq.put(1); pq.get()
timed("Semaphore()", make)
timed("sem release+acquire", pairs)
timed("Queue put+get_nowait", queue_ops)
timed("_PySimpleQueue put+get", simple_ops)
'''


def _run(python: str, script: Path) -> tuple[dict[str, float], float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = subprocess.run([python, "-m", "concurtrace", "run", "--light", "-q", "-o",
                          str(script.with_suffix(".pftrace")), "--force", str(script)],
                         capture_output=True, text=True, check=True).stdout
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    times = {}
    for line in out.splitlines():
        name, _, value = line.rpartition(" ")
        times[name] = float(value)
    return times, cpu


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--other", required=True, help="the other checkout's python")
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    pythons = {"this": sys.executable, "other": args.other}
    results: dict[str, list[dict[str, float]]] = {"this": [], "other": []}
    cpus: dict[str, list[float]] = {"this": [], "other": []}
    loads = []
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "loop.py"
        script.write_text(LOOP)
        for index in range(args.runs):
            order = ("this", "other") if index % 2 == 0 else ("other", "this")
            for which in order:
                times, cpu = _run(pythons[which], script)
                results[which].append(times)
                cpus[which].append(cpu)
            loads.append(os.getloadavg()[0])
            time.sleep(0.2)
    print(f"{'loop':26} {'this ns/op':>11} {'other ns/op':>12} {'ratio':>6}")
    for name in results["this"][0]:
        this = statistics.median(r[name] for r in results["this"])
        other = statistics.median(r[name] for r in results["other"])
        print(f"{name:26} {this:11.0f} {other:12.0f} {this / other:6.2f}")
    print(f"run CPU (user+sys) median: this {statistics.median(cpus['this']):.2f} s, "
          f"other {statistics.median(cpus['other']):.2f} s; load1 median "
          f"{statistics.median(loads):.2f} (min {min(loads):.2f}, max {max(loads):.2f})")


if __name__ == "__main__":
    main()
