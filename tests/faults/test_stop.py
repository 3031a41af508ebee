"""Stopping a run: --timeout and Ctrl-C end the tree and keep what was captured."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
from traced import start_detached, summary_json

DEADLOCK = ("import threading\n"
            "a, b = threading.Lock(), threading.Lock()\n"
            "a.acquire(); b.acquire()\n"
            "def t1():\n    with a: pass\n"
            "threading.Thread(target=t1, name='stuck').start()\n"
            "with b: a.acquire()\n")


def test_timeout_ends_a_deadlock_and_saves(tmp_path: Path) -> None:
    script = tmp_path / "deadlock.py"
    script.write_text(DEADLOCK)
    out = tmp_path / "d.pftrace"
    done = subprocess.run([sys.executable, "-m", "concurtrace", "run", "--quiet", "--timeout",
                           "1.5", "-o", str(out), str(script)], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 128 + signal.SIGTERM, done.stderr
    summary = summary_json(out)
    root = summary["processes"][0]
    assert root["signal"] == "SIGTERM"
    assert any("--timeout" in note for note in summary["notes"])
    stuck = next(t for t in summary["threads"] if t["name"] == "stuck")
    assert stuck["states_ns"]["lock"] > 0.5 * sum(stuck["states_ns"].values())


def test_two_ctrl_c_stop_the_tree_and_save(tmp_path: Path) -> None:
    script = tmp_path / "hang.py"
    script.write_text("import threading\nprint('ready', flush=True)\ntry:\n"
                      "    threading.Event().wait()\nexcept KeyboardInterrupt:\n"
                      "    print('ignoring Ctrl-C', flush=True)\n    threading.Event().wait()\n")
    out = tmp_path / "h.pftrace"
    proc = start_detached([sys.executable, "-m", "concurtrace", "run", "--quiet", "-o",
                           str(out), str(script)])
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "ready"
    time.sleep(0.5)
    proc.send_signal(signal.SIGINT)
    time.sleep(1.0)
    proc.send_signal(signal.SIGINT)
    output, err = proc.communicate(timeout=30)
    # The first Ctrl-C reaches the program, as without concurtrace; the second ends the tree
    # (by the forwarded SIGINT or concurtrace's SIGTERM, whichever lands first).
    assert "ignoring Ctrl-C" in output
    assert proc.returncode in (128 + signal.SIGINT, 128 + signal.SIGTERM), err
    assert "Ctrl-C again" in err and "trace written" in err
    root = summary_json(out)["processes"][0]
    assert root["signal"] in ("SIGINT", "SIGTERM")
    # Either signal was concurtrace's own doing at the second Ctrl-C, not "from outside".
    assert root["terminated_by"] == {"pid": None, "reason": "interrupt"}, root


def test_ctrl_c_while_saving_abandons_within_2_s(tmp_path: Path) -> None:
    script = tmp_path / "storm.py"
    script.write_text("def f(n):\n    return n if n < 2 else f(n - 1) + 1\n"
                      "for _ in range(40000):\n    f(20)\nprint('done', flush=True)\n")
    out = tmp_path / "s.pftrace"
    proc = start_detached([sys.executable, "-m", "concurtrace", "run", "--quiet", "-o",
                           str(out), str(script)])
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "done"
    # Once the program has saved its dump and been reaped, concurtrace reads and merges 800k
    # calls (seconds): the Ctrl-C must land then, not in the program's own exit.
    deadline = time.monotonic() + 30
    while psutil.Process(proc.pid).children() and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.2)
    sent = time.monotonic()
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=30)
    assert time.monotonic() - sent < 2.0, "abandoning must be quick"
    assert proc.returncode == 130, err
    assert "saving abandoned" in err and "Traceback" not in err
    assert not out.exists()
    kept = err.split("kept in ")[-1].strip() if "kept in " in err else ""
    if kept:
        assert any(Path(kept).glob("life-*.jsonl")), "the raw data is kept"
        subprocess.run(["rm", "-rf", kept], check=True)
