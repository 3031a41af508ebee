"""Programs that misbehave: every case leaves a readable trace, the true statuses and the
lifecycle up to the fault."""

from __future__ import annotations

import signal
import subprocess
import sys
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
    "closes_stdout_and_stderr": (
        "import os, sys, threading\nsys.stdout.close(); sys.stderr.close()\n"
        "os.close(1); os.close(2)\n"
        "t = threading.Thread(target=int, name='after_close'); t.start(); t.join()\n", 0),
    "exception_in_thread_and_exit_3": (
        "import threading, sys\n"
        "t = threading.Thread(target=lambda: 1 / 0, name='divider'); t.start(); t.join()\n"
        "sys.exit(3)\n", 3),
    "many_threads": (
        "import threading\n"
        "ts = [threading.Thread(target=sum, args=(range(1000),)) for _ in range(300)]\n"
        "[t.start() for t in ts]; [t.join() for t in ts]\n", 0),
    "syntax_error": ("def broken(:\n    pass\n", 1),
    "segfaults": ("import ctypes, threading\n"
                  "t = threading.Thread(target=int, name='before'); t.start(); t.join()\n"
                  "ctypes.string_at(0)\n", 128 + signal.SIGSEGV),
    "own_profiler_and_tracer": (
        "import sys, threading\n"
        "sys.setprofile(lambda *a: None); sys.settrace(lambda *a: None)\n"
        "threading.Thread(target=sum, args=([1, 2],), name='late').start()\n"
        "sys.setprofile(None); sys.settrace(None)\n", 0),
    "thousand_threads": (  # all alive at once for a while
        "import threading, time\n"
        "go = threading.Event()\n"
        "ts = [threading.Thread(target=go.wait) for _ in range(1000)]\n"
        "[t.start() for t in ts]; time.sleep(0.5); go.set(); [t.join() for t in ts]\n", 0),
    "pool_of_64": (
        "import multiprocessing as mp\n"
        "if __name__ == '__main__':\n"
        "    with mp.get_context('fork').Pool(64) as pool:\n"
        "        assert sum(pool.map(abs, range(640))) == sum(range(640))\n", 0),
    "fork_tree_leaves_outlive_root": (  # the middle process leaves at once, the leaves later
        "import os, time\n"
        "if os.fork() == 0:\n"
        "    for _ in range(2):\n"
        "        if os.fork() == 0:\n"
        "            time.sleep(0.8)\n"
        "            os._exit(3)\n"
        "    os._exit(0)\n"
        "os.wait()\n", 0),
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
        assert summary["sampler"]["max_threads"] >= 1001
        assert any("sampling rate lowered" in note for note in summary["notes"]), summary["notes"]
    if name == "pool_of_64":
        workers = [p for p in summary["processes"] if p["name"].startswith("ForkPoolWorker")]
        assert len(workers) == 64 and all(p["ppid"] == root["pid"] for p in workers)
    if name == "syntax_error":
        assert "SyntaxError" in run.stderr and root["exc_type"] == "SyntaxError"
    if name == "segfaults":
        assert root["signal"] == "SIGSEGV" and "nonzero_exit" in kinds
        assert any(t["name"] == "before" and t["ended_ns"] for t in summary["threads"])
    if name == "closes_stdout_and_stderr":
        assert run.stdout == "" and "Traceback" not in run.stderr
        assert run.stderr.startswith("concurtrace: trace written to")  # ours still reach us
        assert any(t["name"] == "after_close" for t in summary["threads"])
    if name == "fork_tree_leaves_outlive_root":
        middle = [p for p in summary["processes"] if p["ppid"] == root["pid"]]
        assert len(middle) == 1 and middle[0]["exit_code"] == 0
        assert middle[0]["ended_ns"] < root["ended_ns"]
        leaves = [p for p in summary["processes"] if p["ppid"] == middle[0]["pid"]]
        assert len(summary["processes"]) == 4 and len(leaves) == 2
        for leaf in leaves:
            assert leaf["exit_code"] == 3 and leaf["start_method"] == "os.fork"
            assert leaf["ended_ns"] - root["ended_ns"] > 0.5e9  # recorded after the root
            assert [t["tid"] for t in summary["threads"] if t["pid"] == leaf["pid"]] == [
                leaf["pid"]], "one thread, under its own tid"
        assert "orphan_still_running" in kinds
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


REDIRECTS = """
import os, subprocess, sys
log = open(sys.argv[1], "w")
os.dup2(log.fileno(), 1)
os.dup2(log.fileno(), 2)
print("print to fd 1", flush=True)
os.write(2, b"write to fd 2\\n")
subprocess.run([sys.executable, "-c",
                "import sys; print('child out', flush=True); print('child err', file=sys.stderr)"])
sys.stdout = open(sys.argv[2], "w")
sys.stderr = sys.stdout
print("print to the new sys.stdout")
print("warning to the new sys.stderr", file=sys.stderr)
sys.stdout.flush()
sys.exit(4)
"""


def test_redirected_stdout_and_stderr(tmp_path: Path) -> None:
    # os.dup2 of a file onto fd 1 and 2, then sys.stdout/sys.stderr replaced: every byte goes
    # where it goes without concurtrace, and concurtrace's own messages still reach its stderr.
    script = tmp_path / "redirect.py"
    script.write_text(REDIRECTS)
    plain = subprocess.run([sys.executable, str(script), str(tmp_path / "p1"),
                            str(tmp_path / "p2")], capture_output=True, text=True, timeout=60)
    assert plain.returncode == 4 and plain.stdout == plain.stderr == ""
    out = tmp_path / "r.pftrace"
    done = concurtrace("run", "--quiet", "-o", str(out), str(script), str(tmp_path / "c1"),
                       str(tmp_path / "c2"))
    assert done.returncode == 4, done.stderr
    assert done.stdout == "" and done.stderr.startswith("concurtrace: trace written to")
    for plain_file, traced_file in (("p1", "c1"), ("p2", "c2")):
        assert (tmp_path / traced_file).read_text() == (tmp_path / plain_file).read_text()
    assert "child err" in (tmp_path / "c1").read_text()
    summary = summary_json(out)
    root = summary["processes"][0]
    child = next(p for p in summary["processes"] if p["name"] == "python -c")
    assert root["exit_code"] == 4 and child["exit_code"] == 0 and child["ppid"] == root["pid"]
