"""Issue 16: multiprocessing's "Joining processes that use queues" deadlock (a parent
joins a child before taking what it put; the child's exit waits for its feeder thread,
which waits for the pipe to be read) is found and explained, at the end of a run and
while it runs; a parent whose own thread reads, or an item that fits, is no deadlock."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest
from traced import SCRIPTS, concurtrace, line_of, plain_run, start_detached, summary_json

SCRIPT = SCRIPTS / "mp_join_before_get.py"


@pytest.mark.parametrize("method", ("fork", "spawn"))
def test_join_before_get_is_a_deadlock_through_both_processes(method: str,
                                                              tmp_path: Path) -> None:
    trace = tmp_path / "t.pftrace"
    run = concurtrace("run", "--quiet", "--light", "--timeout", "3", "-o", str(trace),
                      "--force", str(SCRIPT), "deadlock", method, cwd=tmp_path)
    assert (run.returncode, run.stdout) == (143, "started\n"), run.stderr
    queue = f"mp.Queue@mp_join_before_get.py:{line_of(SCRIPT, 'q = ctx.Queue()')}"
    assert "concurtrace: deadlock in processes MainProcess" in run.stderr, run.stderr
    assert f"which waits for MainThread in MainProcess to read {queue}" in run.stderr
    summary = summary_json(trace)
    [deadlock] = summary["sync"]["deadlocks"]
    assert [(s["thread"], s["kind"]) for s in deadlock["cycle"]] == [
        ("MainThread", "mp.Process.join"), ("MainThread", "Thread"),
        ("QueueFeederThread", "mp.Queue.flush")], deadlock
    [finding] = [f for f in summary["findings"] if f["kind"] == "deadlock"]
    assert "Joining processes that use queues" in finding["advice"], finding
    [feeder] = [f for f in summary["findings"] if f["kind"] == "thread_stopped"
                and f["message"].startswith("Thread 'QueueFeederThread'")]
    assert f"was still waiting for a reader of {queue} when the run was stopped" \
        in feeder["message"], feeder


def test_the_live_detector_stops_it(tmp_path: Path) -> None:
    trace = tmp_path / "t.pftrace"
    started = time.monotonic()
    proc = start_detached([sys.executable, "-m", "concurtrace", "run", "--quiet",
                           "--stop-on-deadlock", "--deadlock-after", "1", "-o", str(trace),
                           str(SCRIPT), "deadlock", "fork"])
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 143, err
    assert time.monotonic() - started < 30
    assert err.startswith("concurtrace: deadlock in processes MainProcess"), err
    assert [f["kind"] for f in summary_json(trace)["findings"]].count("deadlock") == 1


@pytest.mark.parametrize(("mode", "method"), (("consumer", "fork"), ("consumer", "spawn"),
                                              ("small", "fork")))
def test_a_parent_that_reads_or_an_item_that_fits_is_no_deadlock(mode: str, method: str,
                                                                 tmp_path: Path) -> None:
    plain = plain_run(SCRIPT, tmp_path, mode, method)
    trace = tmp_path / "t.pftrace"
    run = concurtrace("run", "--quiet", "--light", "-o", str(trace), "--force", str(SCRIPT),
                      mode, method, cwd=tmp_path)
    assert (run.returncode, run.stdout) == (plain.returncode, plain.stdout) == \
        (0, "started\n1000 0\nfreed\n" if mode == "small" else "started\n1000000 0\n"), \
        run.stderr
    summary = summary_json(trace)
    assert summary["sync"]["deadlocks"] == [] and "deadlock" not in run.stderr
    assert not [f for f in summary["findings"] if f["kind"] == "deadlock"]
