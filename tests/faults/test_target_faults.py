"""Programs that misbehave: every case leaves a readable trace, the true statuses and the
lifecycle up to the fault."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest
from traced import concurtrace, summary_json, trace_run

CASES = {
    "chdir": ("import os, tempfile\nos.chdir(tempfile.gettempdir())\nprint('moved')\n", 0),
    "own_sigterm_handler": (
        "import os, signal, sys\n"
        "signal.signal(signal.SIGTERM, lambda *a: sys.exit(7))\n"
        "os.kill(os.getpid(), signal.SIGTERM)\n"
        "import time; time.sleep(5)\n", 7),
    "closes_stdout": ("import os, sys\nsys.stdout.close()\nos.close(1)\n", 0),
    "exception_in_thread_and_exit_3": (
        "import threading, sys\n"
        "t = threading.Thread(target=lambda: 1 / 0, name='divider'); t.start(); t.join()\n"
        "sys.exit(3)\n", 3),
    "many_threads": (
        "import threading\n"
        "ts = [threading.Thread(target=sum, args=(range(1000),)) for _ in range(300)]\n"
        "[t.start() for t in ts]; [t.join() for t in ts]\n", 0),
    "syntax_error": ("def broken(:\n    pass\n", 1),
    "segfaults": ("import ctypes\nctypes.string_at(0)\n", 128 + signal.SIGSEGV),
    "own_profiler_and_tracer": (
        "import sys, threading\n"
        "sys.setprofile(lambda *a: None); sys.settrace(lambda *a: None)\n"
        "threading.Thread(target=sum, args=([1, 2],), name='late').start()\n"
        "sys.setprofile(None); sys.settrace(None)\n", 0),
    "thousand_threads": (
        "import threading\n"
        "ts = [threading.Thread(target=sum, args=(range(10),)) for _ in range(1000)]\n"
        "[t.start() for t in ts]; [t.join() for t in ts]\n", 0),
    "pool_of_64": (
        "import multiprocessing as mp\n"
        "if __name__ == '__main__':\n"
        "    with mp.get_context('fork').Pool(64) as pool:\n"
        "        assert sum(pool.map(abs, range(640))) == sum(range(640))\n", 0),
    "orphan_outlives_root": (
        "import subprocess, sys\n"
        "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(0.8)'])\n", 0),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_faulty_program(tmp_path: Path, name: str) -> None:
    code, status = CASES[name]
    script = tmp_path / f"{name}.py"
    script.write_text(code)
    run = trace_run(tmp_path / "t.pftrace", str(script))
    assert run.returncode == status, run.stderr
    summary = summary_json(run.trace)
    root = summary["processes"][0]
    assert root["name"] == "MainProcess"
    assert root["exit_code"] == (status if status < 128 else 128 - status)
    kinds = {f["kind"] for f in summary["findings"]}
    if name == "exception_in_thread_and_exit_3":
        divider = next(t for t in summary["threads"] if t["name"] == "divider")
        assert divider["exc_type"] == "ZeroDivisionError" and "thread_exception" in kinds
    if name == "many_threads":
        assert len(summary["threads"]) >= 301
    if name == "thousand_threads":
        assert len(summary["threads"]) >= 1001
    if name == "pool_of_64":
        workers = [p for p in summary["processes"] if p["name"].startswith("ForkPoolWorker")]
        assert len(workers) == 64 and all(p["ppid"] == root["pid"] for p in workers)
    if name == "syntax_error":
        assert "SyntaxError" in run.stderr and root["exc_type"] == "SyntaxError"
    if name == "segfaults":
        assert root["signal"] == "SIGSEGV" and "nonzero_exit" in kinds
    if name == "orphan_outlives_root":
        orphan = next(p for p in summary["processes"] if p["name"] == "python -c")
        assert orphan["exit_code"] == 0 and orphan["ended_ns"] > root["ended_ns"]
        assert "orphan_still_running" in kinds
    if name == "own_sigterm_handler":
        assert root["signal"] is None  # the program's handler ran: no signal death


@pytest.mark.parametrize("args", [
    ["run", "--no-such-option", "-c", "pass"],
    ["run", "--timeout", "0", "-c", "pass"],
    ["run", "."],
])
def test_more_bad_input(tmp_path: Path, args: list[str]) -> None:
    done = concurtrace(*args, cwd=tmp_path)
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr


def test_sigkilled_target_keeps_its_lifecycle(tmp_path: Path) -> None:
    script = tmp_path / "k.py"
    script.write_text("import os, signal, threading\n"
                      "threading.Thread(target=lambda: None, name='early').start()\n"
                      "os.kill(os.getpid(), signal.SIGKILL)\n")
    run = trace_run(tmp_path / "k.pftrace", str(script))
    assert run.returncode == 128 + signal.SIGKILL
    summary = summary_json(run.trace)
    assert summary["processes"][0]["signal"] == "SIGKILL"
    assert any(t["name"] == "early" for t in summary["threads"]), "records before the kill"
