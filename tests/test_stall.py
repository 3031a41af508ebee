"""A process whose every thread is blocked for good with no lock cycle (model/stall.py):
printed while the run goes on, the `stalled` finding and `sync.stalls`, never a
`deadlock`; not reported while a thread that can end the waits sleeps."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from traced import SCRIPTS, trace_run

SAID = "concurtrace: every thread of MainProcess (pid "


def _kinds(summary: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [f for f in summary["findings"] if f["kind"] == kind]


def test_workers_left_without_a_sentinel_stall_the_exit(tmp_path: Path) -> None:
    run = trace_run(tmp_path / "t.pftrace", str(SCRIPTS / "stall_no_sentinel.py"),
                    options=("--quiet", "--timeout", "6", "--deadlock-after", "1"))
    assert run.returncode == 143, run.stderr  # the --timeout stop, as without the finding
    assert run.stdout == "main done\n"
    [said] = [line for line in run.stderr.splitlines() if line.startswith(SAID)]
    assert "MainThread waits at exit for worker-0 and worker-1 to end" in said, said
    assert "worker-0 waits for an item from Queue@stall_no_sentinel.py:8 (q)" in said, said
    assert "blocked at work (stall_no_sentinel.py:13)" in run.stderr, run.stderr
    summary = run.summary()
    [stall] = summary["sync"]["stalls"]
    assert sorted(t["thread"] for t in stall["threads"]) == ["MainThread", "worker-0",
                                                            "worker-1"], stall
    assert {t["kind"] for t in stall["threads"]} == {"exit", "Queue.get"}, stall
    assert 3e9 < stall["blocked_ns"] < 7e9, stall  # from the main module's return to the stop
    [finding] = _kinds(summary, "stalled")
    assert "sentinel" in finding["advice"], finding
    assert "Only a signal's handler could have woken it" in finding["message"], finding
    assert not _kinds(summary, "deadlock") and not summary["sync"]["deadlocks"]


def test_a_queue_wait_under_the_producers_lock_is_a_stall(tmp_path: Path) -> None:
    run = trace_run(tmp_path / "t.pftrace", str(SCRIPTS / "stall_queue_under_lock.py"),
                    options=("--quiet", "--timeout", "5", "--deadlock-after", "1"))
    assert run.returncode == 143, run.stderr
    [said] = [line for line in run.stderr.splitlines() if line.startswith(SAID)]
    assert "producer waits for Lock@stall_queue_under_lock.py:9 (lock) held by consumer" \
        in said, said
    assert "MainThread waits for Thread consumer to end" in said, said
    [stall] = run.summary()["sync"]["stalls"]
    steps = {t["thread"]: t for t in stall["threads"]}
    assert steps["producer"]["held_by"] == steps["consumer"]["tid"], stall
    assert steps["consumer"]["waits_for"] == "Queue@stall_queue_under_lock.py:8 (q)", stall


def test_a_sleeping_producer_is_no_stall(tmp_path: Path) -> None:
    run = trace_run(tmp_path / "t.pftrace", str(SCRIPTS / "stall_not_late_producer.py"),
                    options=("--quiet", "--deadlock-after", "1"))
    assert run.returncode == 0, run.stderr
    assert SAID not in run.stderr, run.stderr
    summary = run.summary()
    assert summary["sync"]["stalls"] == [] and not _kinds(summary, "stalled"), summary["sync"]


def test_what_a_holder_waited_for_while_holding_is_named(tmp_path: Path) -> None:
    """The consumer held the lock while it waited on the queue: the lock's row says so
    (holder_waits_for), and the stall replaces the lock_contention finding."""
    run = trace_run(tmp_path / "t.pftrace", str(SCRIPTS / "stall_queue_under_lock.py"),
                    options=("--quiet", "--timeout", "3"))
    summary = run.summary()
    [row] = [o for o in summary["sync"]["objects"] if o["label"].startswith("Lock@")]
    assert row["holder_waits_for"] == "waiting for Queue@stall_queue_under_lock.py:8 (q)", row
    assert not _kinds(summary, "lock_contention"), summary["findings"]
    assert len(_kinds(summary, "stalled")) == 1
