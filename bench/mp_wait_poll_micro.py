"""CPU cost of the connection.wait hook on multiprocessing's own polls (issue 16, mpwait).

    .venv/bin/python bench/mp_wait_poll_micro.py [--polls 20000] [--rounds 21]

Connection.poll(0) calls multiprocessing.connection.wait, which the hook replaces in
every process that imports multiprocessing.connection: it looks at the caller's file and
passes multiprocessing's own calls through. In one process, rounds of poll(0) with the
hook installed and without, alternating; the thread's CPU time per poll (not wall time:
a loaded machine's preemptions would swamp ~0.3 µs). Prints medians and minimums.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import multiprocessing.connection as connection
import statistics
import time
from typing import Any

from concurtrace.runner.hooks_sync_mp_connwait import install_wait
from concurtrace.runner.hooks_sync_naming import settings
from concurtrace.runner.hookset import HookSet


class _Sink:
    def write(self, record: Any) -> None:
        pass


def _round(conn: Any, polls: int) -> float:
    start = time.thread_time_ns()
    for _ in range(polls):
        conn.poll(0)
    return (time.thread_time_ns() - start) / polls


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--polls", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=21)
    args = parser.parse_args()
    mine, _theirs = mp.Pipe()
    results: dict[str, list[float]] = {"plain": [], "hooked": []}
    for index in range(args.rounds):
        for mode in ("plain", "hooked") if index % 2 else ("hooked", "plain"):
            hooks = HookSet()
            if mode == "hooked":
                settings.sink = _Sink()
                install_wait(hooks, settings.sink, connection)
            results[mode].append(_round(mine, args.polls))
            hooks.uninstall()
            settings.sink = None
    for mode, times in results.items():
        print(f"{mode:7} median {statistics.median(times):6.0f} ns, min {min(times):6.0f} ns "
              f"CPU per poll(0)")
    print(f"hook: +{min(results['hooked']) - min(results['plain']):.0f} ns (min), "
          f"+{statistics.median(results['hooked']) - statistics.median(results['plain']):.0f}"
          f" ns (median)")


if __name__ == "__main__":
    main()
