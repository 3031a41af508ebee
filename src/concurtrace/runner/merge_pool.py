"""Merges the big per-process dumps of a tree in worker processes.

Decoding and merging a dump is ~1.6 s of CPU per million calls, a pure function of the
dump, its stop time and its fork tid (model/traces.merge_calls). With several processes
whose dumps are big, worker processes merge some of them and hand back their columns
(arrays pickle as bytes) while the parent merges the others and the small ones; then it
builds the timeline as before. Small runs never start a worker (its start costs more
than it saves).

A worker is a fresh interpreter (`python -I -c`, this process's sys.path handed over):
nothing of this process's state, threads, signal handlers or environment, and, unlike
multiprocessing's spawn, no re-import of the __main__ that started concurtrace. It runs
in its own session: the terminal's signals (Ctrl-C, Ctrl-Z, hang-up) reach only the
parent, which kills the workers on Ctrl-C, and the kernel's autogroup scheduling gives it
its own share of the CPU (in the parent's session two processes share one: no faster
than one on a busy machine, bench/README.md). It also ignores SIGINT, and its stderr
goes nowhere. Any failure (a worker that dies or raises, no process can start) gives
None, and the build merges every dump itself: the same trace.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from concurtrace.model.build import CallMerger, CallsToMerge
from concurtrace.model.traces import MergedCalls, merge_calls
from concurtrace.runner.collect import TraceFiles

if TYPE_CHECKING:  # subprocess and pickle are imported when a pool starts (start-up time)
    import subprocess

MIN_DUMP_BYTES = 16 << 20  # ~120 k calls, ~0.2 s of merging: worth a worker's start
MIN_BYTES_VARIABLE = "_CONCURTRACE_POOL_MIN_BYTES"  # private: tests force the pool on
FAULT_VARIABLE = "_CONCURTRACE_POOL_FAULT"  # private: tests make a worker "raise", "exit", "hang"
WORKER = ("import signal; signal.signal(signal.SIGINT, signal.SIG_IGN); import sys, pickle; "
          "sys.path[:] = pickle.load(sys.stdin.buffer); "
          "from concurtrace.runner.merge_pool import serve; serve()")
Job = tuple[int, list[str], int | None, int | None]  # pid, its dump paths, stop_ns, fork_tid


def pool_merger(traces: Mapping[int, TraceFiles]) -> CallMerger | None:
    """A merger for build_timeline when >= 2 dumps are big and >= 2 cores are ours."""
    try:
        least = int(os.environ.get(MIN_BYTES_VARIABLE, MIN_DUMP_BYTES))
    except ValueError:
        least = MIN_DUMP_BYTES
    big = {pid for pid, files in traces.items() if files.size >= least}
    workers = min(len(big), usable_cpus())
    if workers < 2:
        return None

    def merger(jobs: dict[int, CallsToMerge]) -> Mapping[int, MergedCalls] | None:
        return merge_in_pool(jobs, traces, big & set(jobs), workers)
    return merger


def usable_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def merge_in_pool(jobs: dict[int, CallsToMerge], traces: Mapping[int, TraceFiles],
                  big: set[int], workers: int) -> dict[int, MergedCalls] | None:
    """Every job's merged calls (a share of the big dumps and the small ones here, the
    other shares in workers-1 worker processes), or None on any failure of a worker.
    The dumps' warnings are added in the jobs' order, as serially."""
    import pickle

    said: dict[int, list[str]] = {pid: [] for pid in jobs}
    merged: dict[int, MergedCalls] = {}
    started: list[subprocess.Popen[bytes]] = []
    try:
        mine, *theirs = _shares(jobs, big, traces, workers)
        for share in theirs:
            work = [(pid, [str(p) for p in traces[pid].paths], *jobs[pid]) for pid in share]
            started.append(_start(work))
        for pid, job in jobs.items():
            if pid in mine:
                files = TraceFiles(pid, traces[pid].paths, said[pid])
                merged[pid] = merge_calls(pid, files, job.stop_ns, job.fork_tid)
        for worker in started:
            assert worker.stdout is not None
            answer = worker.stdout.read()
            if worker.wait() != 0:
                raise OSError(f"merge worker exited {worker.returncode}")
            for pid, calls, warnings in pickle.loads(answer):
                merged[pid], said[pid] = calls, warnings
    except Exception:  # a worker that died, raised or could not start: merge serially
        _stop(started)
        return None
    except BaseException:  # Ctrl-C while merging: no worker is left behind
        _stop(started)
        raise
    if set(merged) != set(jobs):
        return None
    for pid in jobs:
        traces[pid].warnings.extend(said[pid])
    return merged


def _shares(jobs: dict[int, CallsToMerge], big: set[int], traces: Mapping[int, TraceFiles],
            workers: int) -> list[set[int]]:
    """The dumps split into workers shares of about equal bytes (the longest placed first);
    the first share, which holds the small dumps, is the parent's own."""
    shares: list[set[int]] = [{pid for pid in jobs if pid not in big}]
    shares += [set() for _ in range(workers - 1)]
    loads = [sum(traces[pid].size for pid in shares[0])] + [0] * (workers - 1)
    for pid in sorted(big, key=lambda pid: (-traces[pid].size, pid)):
        least = loads.index(min(loads))
        shares[least].add(pid)
        loads[least] += traces[pid].size
    return [shares[0]] + [share for share in shares[1:] if share]


def _start(work: list[Job]) -> subprocess.Popen[bytes]:
    import pickle
    import subprocess

    worker = subprocess.Popen([sys.executable, "-I", "-c", WORKER], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, close_fds=True,
                              start_new_session=True)
    assert worker.stdin is not None
    try:
        worker.stdin.write(pickle.dumps(list(sys.path)) + pickle.dumps(work))
        worker.stdin.close()
    except BaseException:
        _stop([worker])
        raise
    return worker


def serve() -> None:
    """In a worker: its jobs from stdin -> [(pid, merged calls, warnings)] on stdout."""
    import pickle

    work: list[Job] = pickle.load(sys.stdin.buffer)
    answer = [(pid, *merge_one(pid, paths, stop_ns, fork_tid))
              for pid, paths, stop_ns, fork_tid in work]
    sys.stdout.buffer.write(pickle.dumps(answer, protocol=pickle.HIGHEST_PROTOCOL))
    sys.stdout.buffer.flush()


def merge_one(pid: int, paths: list[str], stop_ns: int | None,
              fork_tid: int | None) -> tuple[MergedCalls, list[str]]:
    """One process's dumps -> its merged calls and the warnings reading them."""
    fault = os.environ.get(FAULT_VARIABLE)
    if fault == "exit":
        os._exit(3)
    if fault == "raise":
        raise RuntimeError("a worker failing on purpose")
    if fault == "hang":  # for a Ctrl-C in the parent
        time.sleep(600)
    warnings: list[str] = []
    files = TraceFiles(pid, [Path(p) for p in paths], warnings)
    return merge_calls(pid, files, stop_ns, fork_tid), warnings


def _stop(workers: list[subprocess.Popen[bytes]]) -> None:
    """Kills the workers (they may be deep in a merge) and reaps them."""
    for worker in workers:
        if worker.poll() is None:
            try:
                worker.kill()
            except OSError:  # already gone
                pass
    for worker in workers:
        for stream in (worker.stdin, worker.stdout):
            if stream is not None:
                stream.close()
        worker.wait()
