"""Patterns of real third-party programs (hypercorn's worker shutdown, pebble's SIGTERM
handler, ...) reproduced in small scripts: what concurtrace changed or showed wrong on them
(bench/README.md, "Real programs, round 4")."""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

from traced import (
    SCRIPTS,
    concurtrace,
    line_of,
    plain_run,
    runs_as_plain,
    start_detached,
    summary_json,
)


def test_tasks_of_a_terminated_process_are_not_a_deadlock(tmp_path: Path) -> None:
    """hypercorn -w 2 at Ctrl-C: the master terminate()s the worker still serving. Its
    pending Lifespan task read 'The main coroutine never returned and this task still
    waited for another to release ...: two tasks that each hold the lock the other wants
    wait forever', and 'when its process stopped', not who stopped it."""
    script = SCRIPTS / "asyncio_child_terminated.py"
    plain = plain_run(script, tmp_path)
    assert (plain.returncode, plain.stdout) == (0, "worker -15\n"), plain.stderr
    for _, summary in runs_as_plain(script, tmp_path, plain):
        pending = [f for f in summary["findings"]
                   if f["kind"] == "task_pending_at_exit"]
        assert len(pending) == 1, pending
        [finding] = pending
        assert "'consumer (consume)'" in finding["message"], finding
        assert "when SIGTERM (terminate() from MainProcess) ended its process, awaiting " \
               "Queue.get at asyncio_child_terminated.py:" in finding["message"], finding
        assert "each hold the lock" not in finding["advice"], finding
        assert "killed while the task waited" in finding["advice"], finding


def test_os_exit_in_a_sigterm_handler_is_a_stop_not_a_skipped_cleanup(tmp_path: Path) -> None:
    """pebble's pool workers end on their parent's terminate() with os._exit(15) from their
    SIGTERM handler: each read 'called os._exit(15). os._exit skips cleanup (atexit,
    buffered output): prefer sys.exit.' (severity 4), a library's way to stop."""
    script = SCRIPTS / "sigterm_os_exit.py"
    plain = plain_run(script, tmp_path)
    assert (plain.returncode, plain.stdout) == (0, "worker 15\n"), plain.stderr
    for _, summary in runs_as_plain(script, tmp_path, plain):
        [worker] = [p for p in summary["processes"] if p["name"] == "pool_worker"]
        assert (worker["exit_code"], worker["end_reason"]) == (15, "os._exit"), worker
        [finding] = [f for f in summary["findings"] if f["kind"] == "nonzero_exit"]
        assert finding["message"] == "pool_worker called os._exit(15) after it handled " \
            "SIGTERM from MainProcess (terminate()).", finding
        assert "prefer sys.exit" not in finding["advice"] and finding["severity"] == 2, finding


def test_a_loop_of_one_task_reads_1_task(tmp_path: Path) -> None:
    """pytest-asyncio runs each test on a loop of its own, one task each: the summary read
    'loop on MainThread of MainProcess: 1 tasks (1 result)'."""
    trace = tmp_path / "t.pftrace"
    code = ("import asyncio\nasync def main():\n    await asyncio.sleep(0.01)\n"
            "asyncio.run(main()); print('ok')")
    run = concurtrace("run", "--quiet", "--light", "-o", str(trace), "--force", "-c", code,
                      cwd=tmp_path)
    assert (run.returncode, run.stdout) == (0, "ok\n"), run.stderr
    [row] = summary_json(trace)["asyncio"]["loops"]
    assert row["tasks_created"] == 1, row
    text = concurtrace("summary", str(trace)).stdout
    assert "loop on MainThread of MainProcess: 1 task (1 result)," in text, text


def _stop_group(argv: list[str]) -> tuple[int, str, str]:
    """Start argv detached, wait for its 'ready', SIGTERM its whole process group."""
    proc = start_detached(argv)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    assert line == "ready\n", (line, proc.stderr.read() if proc.stderr else "")
    os.killpg(proc.pid, signal.SIGTERM)
    out, err = proc.communicate(timeout=120)
    return proc.returncode, line + out, err


def test_workers_killed_by_a_group_sigterm_are_stopped_not_crashed(tmp_path: Path) -> None:
    """hypercorn -w 2 stopped by `kill -TERM -PGID`: the master handles SIGTERM and exits 0,
    its workers die of it. Each worker read 'was killed by SIGTERM ... A crash in C code
    (ctypes, an extension) or a signal from outside: run it alone with faulthandler
    enabled' (severity 4)."""
    script = str(SCRIPTS / "group_sigterm.py")
    plain = _stop_group([sys.executable, script])
    assert plain[:2] == (0, "ready\n[-15, -15]\n"), plain
    for mode in ((), ("--light",)):
        trace = tmp_path / "t.pftrace"
        run = _stop_group([sys.executable, "-m", "concurtrace", "run", "--quiet", *mode,
                           "-o", str(trace), "--force", script])
        assert run[:2] == plain[:2], run
        summary = summary_json(trace)
        workers = [p for p in summary["processes"] if p["name"].startswith("worker-")]
        assert [p["signal"] for p in workers] == ["SIGTERM", "SIGTERM"], workers
        found = [f for f in summary["findings"] if f["kind"] == "nonzero_exit"]
        assert len(found) == 2, found
        for finding in found:
            assert " was killed by SIGTERM from outside the traced tree after " \
                in finding["message"], finding
            assert "faulthandler" not in finding["advice"] and finding["severity"] == 2, \
                finding


def test_a_child_whose_pythonpath_was_rebuilt_from_sys_path_is_traced(tmp_path: Path) -> None:
    """twisted's `trial -j 2` gives its workers PYTHONPATH = os.pathsep.join(sys.path): our
    sitecustomize's directory, off every traced sys.path, was lost, and both workers read
    'workertrial.py ... posix_spawnp ... not traced' (their threads 'python ... ended
    (untraced)'). The child still sees a sys.path without it."""
    script = SCRIPTS / "pythonpath_from_sys_path.py"
    plain = plain_run(script, tmp_path)
    assert (plain.returncode, plain.stdout) == (0, "spawned False\npopen False\nstatus 0\n"), \
        plain.stderr
    for _, summary in runs_as_plain(script, tmp_path, plain):
        children = [p for p in summary["processes"] if p["pid"] != summary["root_pid"]]
        assert sorted((p["start_method"], p["traced"]) for p in children) == \
            [("posix_spawnp", True), ("subprocess", True)], children
        named = [t for t in summary["threads"] if t["name"] == "worker-pool-0"]
        assert sorted(t["pid"] for t in named) == sorted(p["pid"] for p in children), named


def test_children_of_a_group_stop_are_not_orphans(tmp_path: Path) -> None:
    """tornado's fork_processes(2) at `kill -TERM -PGID`: parent and children died of the one
    SIGTERM, the children a few ms after the parent, and each child read 'was still running
    when MainProcess exited ... Wait for it (join()/wait()) so its failures reach you'."""
    script = str(SCRIPTS / "group_sigterm_forks.py")
    plain = _stop_group([sys.executable, script])
    assert plain[:2] == (-15, "ready\n"), plain
    for mode in ((), ("--light",)):
        trace = tmp_path / "t.pftrace"
        run = _stop_group([sys.executable, "-m", "concurtrace", "run", "--quiet", *mode,
                           "-o", str(trace), "--force", script])
        assert run[:2] == (143, "ready\n"), run
        summary = summary_json(trace)
        children = [p for p in summary["processes"] if p["pid"] != summary["root_pid"]]
        assert [(p["signal"], p["terminated_by"]) for p in children] == \
            [("SIGTERM", {"pid": None, "reason": "external"})] * 2, children
        root = next(p for p in summary["processes"] if p["pid"] == summary["root_pid"])
        assert all(p["ended_ns"] > root["ended_ns"] + 1_000_000 for p in children), children
        kinds = [f["kind"] for f in summary["findings"]]
        assert "orphan_still_running" not in kinds, summary["findings"]


def test_nothing_of_ours_runs_while_event_wait_holds_the_events_lock(tmp_path: Path) -> None:
    """A SIGTERM handler that calls stop_event.set() while the main thread is entering
    stop_event.wait() deadlocks if it lands while wait holds the Event's own lock: plain
    Python has a window of a few bytecodes; our lock wrapper and Condition.wait hook ran in
    it (2 of 16 runs of a server-like script hung under --light; handlers found the lock held
    10x as often as without us). The functions called in that window are plain's now."""
    script = SCRIPTS / "event_wait_window.py"
    plain = plain_run(script, tmp_path)
    assert plain.returncode == 0 and "('threading.py', '_release_save')" in plain.stdout, plain
    for _, summary in runs_as_plain(script, tmp_path, plain):
        waits = [o for o in summary["sync"]["objects"] if o["kind"] == "Event"]
        assert [o["label"].split(" ")[0] for o in waits] == \
            [f"Event@event_wait_window.py:{line_of(script, 'ev = threading.Event()')}"], waits
