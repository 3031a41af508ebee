"""What makes the sampler cheaper on a busy tree keeps what it measures (issue 16):
a fork child takes its parent's _PyRuntime range (an exec'd one finds its own), the CPU
budget lowers the rate only while the tree keeps >= 2 threads runnable per CPU and says
so, and a single-threaded process's kernel stack is not read."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from test_sampler_live import check_runs_tile, run_under_sampler

from concurtrace.sampler import TreeSampler, cpubudget, tracked

FORKS = r"""
import os, subprocess, sys, time
time.sleep(0.5)  # found and its range resolved first (discovery runs at 25 Hz), even loaded
kids = []
for i in range(3):
    pid = os.fork()
    if pid == 0:
        end = time.monotonic() + 0.4
        while time.monotonic() < end:
            pass
        os._exit(0)
    kids.append(pid)
subprocess.run([sys.executable, "-c", "import time; time.sleep(0.4)"])
for pid in kids:
    os.waitpid(pid, 0)
"""


def test_fork_child_inherits_the_range_an_exec_finds_its_own(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    script = tmp_path / "forks.py"
    script.write_text(FORKS)
    looked: list[int] = []
    real = tracked.find_symbol_range

    def counted(pid: int) -> tuple[tuple[int, int] | None, bool, str]:
        looked.append(pid)
        return real(pid)

    monkeypatch.setattr(tracked, "find_symbol_range", counted)
    sampler = TreeSampler(os.getpid())
    result, _ = run_under_sampler([sys.executable, str(script)], sampler)
    check_runs_tile(result)
    procs = sampler._tracker.procs
    (root,) = [p for p in procs.values() if p.info.ppid == os.getpid()]
    forks = [p for p in procs.values() if p.info.ppid == root.info.pid
             and p.info.cmdline == root.info.cmdline]
    execs = [p for p in procs.values() if p.info.ppid == root.info.pid and p not in forks]
    assert len(forks) == 3 and len(execs) == 1, [p.info.cmdline for p in procs.values()]
    assert root.gil_range is not None
    for fork in forks:
        assert fork.info.pid not in looked and fork.gil_range == root.gil_range
    assert execs[0].info.pid in looked and execs[0].gil_range is not None
    assert result.gil_method == "proc-syscall"


def test_cpu_budget_only_when_oversubscribed() -> None:
    budget = cpubudget.CpuBudget(cpus=2)
    window = cpubudget.WINDOW_NS

    def run(runnable: int, busy_s: float) -> None:
        start = budget._start
        budget._cpu -= busy_s  # as if the sampler had used busy_s of CPU in the window
        budget.tick(runnable, start + window)

    budget.tick(0, 1)  # the first window starts
    run(3, 0.1)  # 3 runnable on 2 CPUs: under 2 per CPU, never lowered
    assert budget.scale == 1.0
    run(16, 0.1 * 0.1)  # 16 runnable, 10 % of a core over 0.1 s: lowered
    assert budget.scale == pytest.approx(cpubudget.SATURATED_SHARE / 0.1)
    for _ in range(20):
        run(16, 0.1 * 0.5)
    assert budget.scale == cpubudget.MIN_SCALE  # never below the floor
    assert budget.lowered_ns >= 20 * window
    run(1, 0.1 * 0.5)  # a CPU free again: the asked rate at once
    assert budget.scale == 1.0


def test_lowered_rate_is_said() -> None:
    sampler = TreeSampler(os.getpid(), hz=500.0)
    sampler._cpu_budget.scale = 0.5
    sampler._cpu_budget.lowered_ns = 2_000_000_000
    assert sampler._rate(4) == 250.0
    result = sampler.stop()
    assert result.stats.hz_lowest == 250.0 and result.stats.cpu_budget_s == 2.0
    (note,) = [n for n in result.notes if "sampling rate lowered" in n]
    assert "down to 250 Hz, for 2.0 s in all while" in note and "twice as many" in note
    assert "thread-samples/s" not in note


def test_a_scan_is_skipped_only_while_no_pid_was_handed_out() -> None:
    """The process scan is gated by ns_last_pid: a child forked after a scan moves it, and
    the next scan finds the child."""
    import subprocess

    from concurtrace.sampler.procfs import FdOpener
    from concurtrace.sampler.tracking import Tracker

    tracker = Tracker(os.getpid(), FdOpener(), states=False)
    if not tracker.has_last_pid:
        pytest.skip("no /proc/sys/kernel/ns_last_pid here")
    tracker.discover_processes(1)
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(2)"])
    try:
        assert tracker.pids_created()
        tracker.discover_processes(2)
        assert child.pid in tracker.procs
    finally:
        child.kill()
        child.wait()
        tracker.close_all()
