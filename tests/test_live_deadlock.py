"""The live deadlock detector (runner/livedeadlock.py), --stop-on-deadlock and
`check --no-deadlock`, end to end: real runs, the JSON summary, the trace."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from traced import SCRIPTS, concurtrace, start_detached, summary_json, trace_run

from concurtrace.scenarios import SCENARIO_DIR

ABBA = SCENARIO_DIR / "deadlock_abba.py"
SAID = "concurtrace: deadlock in MainProcess (pid "


def _kinds(summary: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [f for f in summary["findings"] if f["kind"] == kind]


def _timed(argv: list[str]) -> tuple[float, float, float, subprocess.Popen[str], str]:
    """(when the script said it started, when the cycle was printed, when concurtrace
    ended), the process, and its whole stderr."""
    proc = start_detached([sys.executable, "-m", "concurtrace", "run", "--quiet", *argv])
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.readline()  # the script's first line: its threads are started
    started = time.monotonic()
    said = None
    lines = []
    for line in proc.stderr:
        lines.append(line)
        if said is None and line.startswith(SAID):
            said = time.monotonic()
    proc.wait(timeout=60)
    ended = time.monotonic()
    return started, said if said is not None else float("inf"), ended, proc, "".join(lines)


def test_stop_on_deadlock_prints_the_cycle_live_and_saves(tmp_path: Path) -> None:
    trace = tmp_path / "t.pftrace"
    started, said, ended, proc, err = _timed(["--stop-on-deadlock", "--deadlock-after", "1",
                                              "-o", str(trace), str(ABBA)])
    # The cycle forms 0.2 s after the start; each wait is 1 s old 1.2 s after it (less a
    # late read of the script's first line).
    assert 1.0 <= said - started <= 1.2 + 2, err
    assert ended - said <= 3, err  # SIGTERM, the save, the trace written
    assert proc.returncode == 128 + 15, err
    assert err.count(SAID) == 1, err  # not said again when the run ends
    assert "transfer-ab waits for Lock@deadlock_abba.py:" in err
    assert "(A.lock) was taken by transfer-ab, which was at transfer (deadlock_abba.py:" in err
    summary = summary_json(trace)
    [deadlock] = summary["sync"]["deadlocks"]
    assert deadlock["detected"] == "live" and deadlock["detected_ns"] > 0
    assert len(_kinds(summary, "deadlock")) == 1
    root = next(p for p in summary["processes"] if p["name"] == "MainProcess")
    assert root["terminated_by"] == {"pid": None, "reason": "deadlock"}
    [stopped] = _kinds(summary, "nonzero_exit")
    assert "stopped by --stop-on-deadlock (SIGTERM from concurtrace)" in stopped["message"]
    assert any(n.startswith("stopped by --stop-on-deadlock: a deadlock was found")
               for n in summary["notes"]), summary["notes"]
    gate = concurtrace("check", str(trace), "--no-deadlock")
    assert gate.returncode == 1 and "FAIL deadlock: Deadlock in MainProcess" in gate.stdout


def test_default_threshold_is_five_seconds(tmp_path: Path) -> None:
    started, said, _ended, proc, err = _timed(["--stop-on-deadlock", "-o",
                                               str(tmp_path / "t.pftrace"), str(ABBA)])
    assert 5.0 <= said - started <= 5.2 + 2, err
    assert proc.returncode == 128 + 15, err


def test_live_printout_without_stop_comes_before_the_end(tmp_path: Path) -> None:
    trace = tmp_path / "t.pftrace"
    started, said, ended, proc, err = _timed(["--deadlock-after", "1", "--timeout", "5",
                                              "-o", str(trace), str(ABBA)])
    assert said - started <= 3.5 and ended - started >= 4.5, err  # live, then --timeout
    assert proc.returncode == 128 + 15 and err.count(SAID) == 1, err
    summary = summary_json(trace)
    assert [d["detected"] for d in summary["sync"]["deadlocks"]] == ["live"]
    assert _kinds(summary, "nonzero_exit")[0]["message"].count("--timeout") == 1


def test_owner_only_cycle_is_found_while_another_thread_runs(tmp_path: Path) -> None:
    """RLocks: only their owners release them, so a heartbeat thread changes nothing."""
    run = trace_run(tmp_path / "t.pftrace", str(SCRIPTS / "abba_heartbeat.py"), "rlock",
                    options=("--quiet", "--stop-on-deadlock", "--deadlock-after", "0.5",
                             "--timeout", "20"))
    assert run.returncode == 128 + 15, run.stderr
    assert run.stderr.count(SAID) == 1, run.stderr
    assert "side-ab waits for RLock@abba_heartbeat.py:" in run.stderr
    [deadlock] = run.summary()["sync"]["deadlocks"]
    assert deadlock["detected"] == "live"


def test_plain_lock_cycle_waits_for_every_thread(tmp_path: Path) -> None:
    """Any thread may release a plain Lock: while the heartbeat runs, the cycle is not
    reported live; the end of the run (--timeout) still finds it."""
    run = trace_run(tmp_path / "t.pftrace", str(SCRIPTS / "abba_heartbeat.py"), "lock",
                    options=("--quiet", "--stop-on-deadlock", "--deadlock-after", "0.5",
                             "--timeout", "3"))
    assert run.returncode == 128 + 15, run.stderr
    assert run.stderr.count(SAID) == 1, run.stderr  # at the end only
    summary = run.summary()
    assert [d["detected"] for d in summary["sync"]["deadlocks"]] == ["at_end"]
    root = next(p for p in summary["processes"] if p["name"] == "MainProcess")
    assert root["terminated_by"]["reason"] == "timeout"


def test_cycle_found_while_the_main_thread_waits_at_exit(tmp_path: Path) -> None:
    """MainThread returned: the interpreter waits for the two threads at exit, in C; the
    exit_wait record says so, and the cycle of plain Locks is found live."""
    run = trace_run(tmp_path / "t.pftrace", str(SCRIPTS / "abba_heartbeat.py"), "exit",
                    options=("--quiet", "--stop-on-deadlock", "--deadlock-after", "0.5",
                             "--timeout", "20"))
    assert run.returncode == 128 + 15, run.stderr
    assert run.stderr.count(SAID) == 1, run.stderr
    [deadlock] = run.summary()["sync"]["deadlocks"]
    assert deadlock["detected"] == "live"
    root = next(p for p in run.summary()["processes"] if p["name"] == "MainProcess")
    assert root["terminated_by"]["reason"] == "deadlock"


def test_no_deadlock_for_waits_with_a_timeout(tmp_path: Path) -> None:
    run = trace_run(tmp_path / "t.pftrace", str(SCRIPTS / "abba_heartbeat.py"), "timeout",
                    options=("--quiet", "--stop-on-deadlock", "--deadlock-after", "0.5",
                             "--timeout", "2.5"))
    assert run.returncode == 128 + 15, run.stderr
    assert "concurtrace: deadlock" not in run.stderr
    assert not _kinds(run.summary(), "deadlock")


def test_queue_filled_later_is_no_deadlock(tmp_path: Path) -> None:
    """6 s on a queue a sleeping producer fills, and on an RLock it holds while it sleeps:
    longer than the default 5 s, and no deadlock."""
    trace = tmp_path / "t.pftrace"
    run = trace_run(trace, str(SCRIPTS / "queue_filled_later.py"),
                    options=("--quiet", "--stop-on-deadlock"))
    assert run.returncode == 0, run.stderr
    assert run.stdout == "got 1\ndone\n"
    assert "deadlock" not in run.stderr
    summary = run.summary()
    assert not _kinds(summary, "deadlock")
    waits = {o["label"].split("@")[0] + o["label"].split(" ")[-1]: o["max_wait_ns"]
             for o in summary["sync"]["objects"]}
    assert waits["RLock(GATE)"] >= 5.5e9 and waits["Queue(JOBS)"] >= 5.5e9, waits
    gate = concurtrace("check", str(trace), "--no-deadlock")
    assert gate.returncode == 0, gate.stdout


def test_sleeping_holder_and_idle_consumer_are_no_deadlock(tmp_path: Path) -> None:
    run = trace_run(tmp_path / "t.pftrace", str(SCRIPTS / "no_deadlock.py"),
                    options=("--quiet", "--stop-on-deadlock", "--deadlock-after", "0.3",
                             "--timeout", "2"))
    assert run.returncode == 128 + 15, run.stderr
    assert "concurtrace: deadlock" not in run.stderr
    assert not _kinds(run.summary(), "deadlock")


def test_bad_options_are_one_line_errors(tmp_path: Path) -> None:
    for args in (["--deadlock-after", "0"], ["--deadlock-after", "nan"],
                 ["--stop-on-deadlock", "--no-sync"]):
        done = concurtrace("run", *args, "-o", str(tmp_path / "t.pftrace"), "-c", "pass")
        assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
        assert len(done.stderr.strip().splitlines()) == 1, done.stderr


def test_detector_counts_a_thread_whose_exit_was_written_before_its_start(
        tmp_path: Path) -> None:
    """Thread.start writes thread_start once the thread runs: a short thread's exit can come
    first. It has ended: it must not stand for a thread that could still release a Lock."""
    import json

    from concurtrace.runner.livedeadlock import LiveDetector

    t0 = time.monotonic_ns() - 2_000_000_000
    records = [
        {"ev": "hello", "ts": t0, "pid": 7, "main_tid": 1},
        {"ev": "thread_start", "ts": t0 + 1, "start_ts": t0 + 1, "pid": 7, "tid": 3},
        {"ev": "thread_exit", "ts": t0 + 3, "pid": 7, "tid": 2},
        {"ev": "thread_start", "ts": t0 + 4, "start_ts": t0 + 2, "pid": 7, "tid": 2},
        {"ev": "wait_begin", "ts": t0 + 10, "pid": 7, "tid": 1, "obj": 11, "kind": "Lock",
         "label": "Lock@x.py:1 (A)", "holder": 3, "holder_since": t0 + 5, "timeout": None},
        {"ev": "wait_begin", "ts": t0 + 11, "pid": 7, "tid": 3, "obj": 12, "kind": "Lock",
         "label": "Lock@x.py:2 (B)", "holder": 1, "holder_since": t0 + 6, "timeout": None},
    ]
    (tmp_path / "life-7-1.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    found: list[Any] = []
    detector = LiveDetector(tmp_path, 1.0, 1_000_000, lambda d, _r: found.append(d))
    detector.poll()
    assert [sorted(w.tid for w in d.waits) for d in found] == [[1, 3]]
    detector.poll()
    assert len(found) == 1  # reported once


def test_a_join_under_the_joined_threads_lock_is_a_deadlock_with_its_own_advice(
        tmp_path: Path) -> None:
    run = trace_run(tmp_path / "t.pftrace", str(SCRIPTS / "deadlock_join_under_lock.py"),
                    options=("--quiet", "--timeout", "4", "--deadlock-after", "1"))
    assert run.returncode == 143, run.stderr
    assert "MainThread waits for Thread worker to end, which waits for " \
           "Lock@deadlock_join_under_lock.py:7 (lock) held by MainThread" in run.stderr, run.stderr
    summary = run.summary()
    [finding] = _kinds(summary, "deadlock")
    assert "release the lock before join()" in finding["advice"], finding
    assert summary["sync"]["stalls"] == []  # the cycle says more


def test_detector_sleeps_until_a_known_wait_could_be_old_enough(tmp_path: Path) -> None:
    """Nothing waits (a CPU-bound pool): the next read is after_s away, not 0.25 s; a wait
    it knows of is read again when it becomes after_s old, and every POLL_S from then on."""
    import json

    from concurtrace.runner.livedeadlock import POLL_S, LiveDetector

    now = time.monotonic_ns()
    life = tmp_path / "life-7-1.jsonl"
    life.write_text(json.dumps({"ev": "hello", "ts": now, "pid": 7, "main_tid": 1}) + "\n")
    detector = LiveDetector(tmp_path, 5.0, 1_000_000, lambda d, _r: None)
    detector.poll()
    assert detector.next_delay(now) == 5.0
    begin = {"ev": "wait_begin", "ts": now - 2_000_000_000, "pid": 7, "tid": 1, "obj": 11,
             "kind": "Lock", "label": "Lock@x.py:1 (A)", "holder": 3, "timeout": None}
    with life.open("a") as stream:
        stream.write(json.dumps(begin) + "\n")
    detector.poll()
    assert abs(detector.next_delay(now) - 3.0) < 1e-6
    assert detector.next_delay(now + 2_900_000_000) == POLL_S
    assert detector.next_delay(now + 9_000_000_000) == POLL_S
    with life.open("a") as stream:
        stream.write(json.dumps({"ev": "wait_end", "ts": now, "pid": 7, "tid": 1, "obj": 11,
                                 "outcome": "acquired"}) + "\n")
    detector.poll()
    assert detector.next_delay(now) == 5.0
