"""Patterns of real third-party programs (CPython's test_subprocess, uvicorn served and
stopped by a signal to its process group, ...) reproduced in small scripts: what
concurtrace changed or showed wrong on them (bench/README.md, "Real programs, round 2")."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from traced import SCRIPTS, concurtrace, start_detached, summary_json


def test_popen_warning_names_the_programs_line(tmp_path: Path) -> None:
    """Popen's EncodingWarning counts its stacklevel over subprocess.py's own frames: our
    hook of Popen.__init__ stood between them, so it named bootstrap.py:76 and the second
    one was swallowed as a repeat. The hook is now on _execute_child."""
    script = str(SCRIPTS / "popen_text_warning.py")
    env = {**os.environ, "PYTHONWARNDEFAULTENCODING": "1"}
    plain = subprocess.run([sys.executable, script], capture_output=True, text=True,
                           timeout=60, env=env, cwd=tmp_path)
    if "EncodingWarning" not in plain.stderr:  # 3.10's subprocess gives none there
        pytest.skip("this Python's subprocess warns of no default encoding")
    assert plain.stderr.count("popen_text_warning.py:") == 2, plain.stderr
    for mode in ((), ("--light",)):
        run = concurtrace("run", "--quiet", *mode, "-o", str(tmp_path / "t.pftrace"),
                          "--force", script, cwd=tmp_path, env=env)
        assert (run.returncode, run.stdout) == (plain.returncode, plain.stdout)
        ours = [line for line in run.stderr.splitlines() if line.startswith("concurtrace:")]
        assert run.stderr.splitlines()[:-len(ours) or None] == plain.stderr.splitlines(), \
            run.stderr


def test_the_record_file_is_above_the_programs_fds(tmp_path: Path) -> None:
    """Each traced process's record file was its fd 3 (test_subprocess.test_pass_fds saw it
    in its child's fds); it is now above 400, where sigwatch's pipe already was."""
    run = concurtrace("run", "--quiet", "--light", "-o", str(tmp_path / "t.pftrace"),
                      str(SCRIPTS / "own_fds.py"), cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert run.stdout == "listed\nlisted\n"


def _signal_detached(tmp_path: Path, script: str, signum: int, group: bool,
                     light: bool = True) -> tuple[int, str, Path]:
    """concurtrace in a session of its own, with no terminal (as a supervisor or CI starts
    it); once the program is ready, signum to concurtrace's pid alone or to its group."""
    trace = tmp_path / f"{script}-{signum}-{group}.pftrace"
    proc = start_detached([sys.executable, "-m", "concurtrace", "run", "--quiet",
                           *(["--light"] if light else []), "-o", str(trace), "--force",
                           str(SCRIPTS / script)])
    assert proc.stdout is not None
    try:
        assert proc.stdout.readline() == "ready\n"
        time.sleep(0.2)
        (os.killpg if group else os.kill)(proc.pid, signum)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    return proc.returncode, out, trace


def test_a_signal_to_the_process_group_arrives_once(tmp_path: Path) -> None:
    """A signal sent to concurtrace's whole process group (kill -INT -PGID, GNU timeout, a
    supervisor stopping the group) reached the program twice, once directly and once passed
    on by concurtrace (uvicorn read the second SIGINT as 'exit now' and skipped its graceful
    shutdown). Sent to concurtrace's pid alone, it is still passed on, once."""
    for signum in (signal.SIGINT, signal.SIGTERM):
        for group in (True, False):
            _code, out, trace = _signal_detached(tmp_path, "count_signals.py", signum, group)
            assert out == f"got [{int(signum)}]\n", (signum, group, out)
            [root] = summary_json(trace)["processes"]
            handled = root["handled_signal"]
            assert (handled["signal"], handled["reason"]) == (signum.name, "external"), root


def test_a_signal_raised_again_after_a_graceful_stop_names_who_stopped_it(
        tmp_path: Path) -> None:
    """uvicorn handles the outside SIGINT, shuts down, raises it again at itself and exits 0:
    the root read 'exit 0 after SIGINT from itself (handled)', hiding who stopped it."""
    _code, out, trace = _signal_detached(tmp_path, "reraise_sigint.py", signal.SIGINT, True)
    assert out == "captured 1 stopping 1\n", out
    [root] = summary_json(trace)["processes"]
    assert root["exit_code"] == 0 and root["terminated_by"] is None, root
    assert (root["handled_signal"]["reason"], root["handled_signal"]["pid"]) == \
        ("external", None), root


def test_a_child_killed_as_its_starter_thread_ends_is_told(tmp_path: Path) -> None:
    """celery's prefork workers, started by billiard's worker-handler thread with
    PR_SET_PDEATHSIG, die by SIGKILL when that thread ends: it read 'killed by SIGKILL ...
    A crash in C code or a signal from outside' (severity 4)."""
    script = str(SCRIPTS / "pdeathsig_thread.py")
    for mode in ((), ("--light",)):
        run = concurtrace("run", "--quiet", *mode, "-o", str(tmp_path / "t.pftrace"),
                          "--force", script, cwd=tmp_path)
        assert (run.returncode, run.stdout) == (0, "worker -9\n"), run.stderr
        summary = summary_json(tmp_path / "t.pftrace")
        [worker] = [p for p in summary["processes"] if p["pid"] != summary["root_pid"]]
        assert (worker["signal"], worker["terminated_by"]) == \
            ("SIGKILL", {"pid": None, "reason": "external"}), worker
        [told] = [f for f in summary["findings"] if f["pid"] == worker["pid"]]
        assert "thread 'Worker handler', which started it, ended" in told["message"], told
        assert "PR_SET_PDEATHSIG" in told["message"] and told["severity"] == 3, told


def test_a_group_signal_is_told_for_each_process_it_reached(tmp_path: Path) -> None:
    """uvicorn --workers stopped by a SIGTERM to its group: each worker handled it and raised
    it again at itself, and read 'SIGTERM (raised by itself)' with nothing before it (with
    its own wakeup fd, as uvloop's, the watchdog does not see the delivery). A signal the
    sentinel heard is recorded as the outside's for every process of the tree in the group."""
    _code, out, trace = _signal_detached(tmp_path, "group_stop_workers.py", signal.SIGTERM, True)
    assert out == "worker -15\n", out
    summary = summary_json(trace)
    [worker] = [p for p in summary["processes"] if p["pid"] != summary["root_pid"]]
    assert worker["terminated_by"]["reason"] == "raised", worker
    assert (worker["handled_signal"]["signal"], worker["handled_signal"]["reason"]) == \
        ("SIGTERM", "external"), worker


def test_gnu_timeouts_stop_arrives_once(tmp_path: Path) -> None:
    """GNU timeout sends its signal to its child (concurtrace), then to its whole group: the
    program got SIGTERM twice (without concurtrace the two merge into one pending signal),
    and two SIGINTs read as a second Ctrl-C, which stopped the tree."""
    timeout = shutil.which("timeout")
    if timeout is None:
        pytest.skip("no GNU timeout here")
    for name in ("TERM", "INT"):
        run = subprocess.run([timeout, "-s", name, "1.5", sys.executable, "-m", "concurtrace",
                              "run", "--quiet", "--light", "-o", str(tmp_path / "t.pftrace"),
                              "--force", str(SCRIPTS / "count_signals.py")],
                             capture_output=True, text=True, timeout=60, cwd=tmp_path)
        signum = int(getattr(signal, f"SIG{name}"))
        assert run.stdout == f"ready\ngot [{signum}]\n", (name, run.stdout, run.stderr)
        assert "stopping the tree" not in run.stderr, run.stderr


TWO_RUNS = """\
from concurtrace.runner.run import RunConfig, run
for _ in range(2):  # the first makes this process a subreaper
    result = run(RunConfig(target_argv=["-c", "pass"], light=True))
    assert result.outcome.exit_code == 0
print("ok")
"""


def test_the_runner_used_twice_in_one_process_does_not_wait_for_its_sentinel(
        tmp_path: Path) -> None:
    """A process that ran the runner is a subreaper: a group sentinel made then would be
    reparented to it, and the reaper would wait for it forever (the test suite hung)."""
    done = subprocess.run([sys.executable, "-c", TWO_RUNS], capture_output=True, text=True,
                          cwd=tmp_path, timeout=120)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr
