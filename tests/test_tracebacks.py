"""The program's tracebacks read exactly as without concurtrace (issue 14, item 4).

Each script runs twice, plain and under `concurtrace run` (full and --light), and the
stderr texts are compared byte for byte once addresses and pids are masked.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from traced import SCRIPTS, trace_run

from concurtrace.scenarios import SCENARIO_DIR

ADDRESS = re.compile(r"0x[0-9a-f]+")
PID = re.compile(r"pid=\d+")
# A frame of ours: 'File ".../site/concurtrace/runner/hooks.py", line 43, in start' + source.
OWN_ENTRY = re.compile(r'  File "[^"]*/concurtrace/runner/[^"]*", line \d+, in .*\n(    .*\n)*?'
                       r'(?=  File |\S)')
MODES = {"full": ("--quiet",), "light": ("--quiet", "--light")}


def plain(script: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(SCRIPTS / script)], capture_output=True,
                          text=True, timeout=60)


def program_stderr(text: str) -> str:
    lines = [line for line in text.splitlines(keepends=True)
             if not line.startswith("concurtrace: ")]
    return PID.sub("pid=N", ADDRESS.sub("0xADDR", "".join(lines)))


def compare(script: str, mode: str, tmp_path: Path) -> tuple[str, str]:
    without = plain(script)
    run = trace_run(tmp_path / "t.pftrace", str(SCRIPTS / script), options=MODES[mode])
    assert run.returncode == without.returncode, run.stderr
    assert run.stdout == without.stdout
    return program_stderr(without.stderr), program_stderr(run.stderr)


@pytest.mark.parametrize("mode", MODES)
def test_uncaught_tracebacks_are_unchanged(mode: str, tmp_path: Path) -> None:
    """multiprocessing children (fork, spawn, forkserver), threads, the main thread."""
    expected, got = compare("tracebacks_uncaught.py", mode, tmp_path)
    assert expected.count("Traceback (most recent call last)") == 6
    assert got == expected


@pytest.mark.parametrize("mode", MODES)
def test_tracebacks_the_program_prints_are_unchanged(mode: str, tmp_path: Path) -> None:
    """Errors raised inside hooked calls (Popen, posix_spawn, waitpid, kill, Thread.start,
    Process.start/join/terminate, signal.signal, _thread, Popen in a multiprocessing child), caught
    and printed by the program (or by _thread, multiprocessing)."""
    expected, got = compare("tracebacks_caught.py", mode, tmp_path)
    assert expected.count("Traceback (most recent call last)") == 13
    if sys.version_info >= (3, 11):
        assert got == expected
        return
    # 3.10 re-raises with the traceback saved when the hook's handler began: its first
    # entry, the hook's own frame, stays (README, "Known differences"). Nothing else.
    assert "bootstrap.py" not in got
    assert len(OWN_ENTRY.findall(got)) <= got.count("Traceback (most recent"), got
    assert OWN_ENTRY.sub("", got) == expected


def test_shipped_scenarios_are_the_program_not_ours(tmp_path: Path) -> None:
    """The gallery ships inside the package; its frames must stay in tracebacks (and in
    the function trace, see test_run_e2e) like any program's."""
    script = SCENARIO_DIR / "thread_exception.py"
    without = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                             timeout=60)
    run = trace_run(tmp_path / "s.pftrace", "--scenario", "thread_exception")
    assert run.returncode == without.returncode == 0, run.stderr
    expected = program_stderr(without.stderr)
    assert "in parse" in expected
    assert program_stderr(run.stderr) == expected


@pytest.mark.parametrize("mode", MODES)
def test_fork_warning_is_unchanged(mode: str, tmp_path: Path) -> None:
    """3.12+ warn at os.fork() with threads running; concurtrace's hook calls the real
    os.fork, yet the warning keeps the caller's location, module and filters."""
    expected, got = compare("fork_warning.py", mode, tmp_path)
    if sys.version_info >= (3, 12):
        assert expected.count("DeprecationWarning: This process") == 2, expected
        assert "fork_warning.py:12: DeprecationWarning" in expected
        assert "popen_fork.py" in expected
    assert got == expected


@pytest.mark.parametrize("mode", MODES)
def test_tracebacks_through_sync_objects_are_unchanged(mode: str, tmp_path: Path) -> None:
    """Locks, semaphores, conditions, events, queues, barriers, futures and join() are
    observed by wrappers (issue 16): their errors, caught and printed by the program, read
    as without them."""
    expected, got = compare("tracebacks_sync.py", mode, tmp_path)
    assert expected.count("Traceback (most recent call last)") == 21
    if sys.version_info >= (3, 11):
        assert got == expected
        return
    assert len(OWN_ENTRY.findall(got)) <= got.count("Traceback (most recent"), got
    assert OWN_ENTRY.sub("", got) == expected
