"""Patterns of real third-party programs (huey's process workers, sanic's manager, Django's
runserver, ...) reproduced in small scripts: what concurtrace changed or showed wrong on them
(bench/README.md, "Real programs, round 6 (rp6web)")."""

from __future__ import annotations

import os
import re
import signal
import sys
from pathlib import Path

from traced import SCRIPTS, concurtrace, start_detached, summary_json


def _sigint_group(argv: list[str]) -> tuple[int, str, str]:
    """Start argv detached, wait for its 'ready', SIGINT its whole process group (Ctrl-C)."""
    proc = start_detached(argv)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    assert line == "ready\n", (line, proc.stderr.read() if proc.stderr else "")
    os.killpg(proc.pid, signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    return proc.returncode, line + out, err


def test_a_sigint_the_process_ignored_is_not_handled(tmp_path: Path) -> None:
    """huey_consumer -k process at Ctrl-C: its workers (SIG_IGN for SIGINT) end when the
    master sets an Event, and sanic's SyncManager and resource tracker ignore SIGINT too;
    each read 'exit 0 after SIGINT from outside the traced tree (handled)'."""
    script = str(SCRIPTS / "ignored_sigint.py")
    plain = _sigint_group([sys.executable, script])
    assert plain[:2] == (0, "ready\nhelper done\n0 0\n"), plain
    for mode in ((), ("--light",)):
        trace = tmp_path / "t.pftrace"
        run = _sigint_group([sys.executable, "-m", "concurtrace", "run", "--quiet", *mode,
                             "-o", str(trace), "--force", script])
        assert run[:2] == plain[:2], run
        summary = summary_json(trace)
        root = next(p for p in summary["processes"] if p["pid"] == summary["root_pid"])
        assert root["handled_signal"] is not None \
            and root["handled_signal"]["signal"] == "SIGINT", root
        children = [p for p in summary["processes"] if p["pid"] != summary["root_pid"]]
        assert sorted(p["start_method"] for p in children) == ["fork", "subprocess"], children
        for child in children:
            assert (child["exit_code"], child["handled_signal"]) == (0, None), child


def test_a_light_child_killed_in_its_teardown_is_not_blamed_on_a_save(tmp_path: Path) -> None:
    """Django's runserver under --light: subprocess.run's 0.25 s grace after Ctrl-C ran out
    in the server child's own interpreter teardown and it was kill()ed. The finding read
    'while concurtrace was still saving its function trace. Without concurtrace it had
    most likely exited by then ... Run with --light': --light saves no function trace."""
    script = str(SCRIPTS / "sigint_grace_teardown.py")
    plain = _sigint_group([sys.executable, script])
    assert plain[:2] == (0, "ready\ninterrupted\n"), plain
    for mode in ((), ("--light",)):
        trace = tmp_path / "t.pftrace"
        run = _sigint_group([sys.executable, "-m", "concurtrace", "run", "--quiet", *mode,
                             "-o", str(trace), "--force", script])
        assert run[:2] == plain[:2], run
        summary = summary_json(trace)
        [child] = [p for p in summary["processes"] if p["pid"] != summary["root_pid"]]
        assert (child["signal"], child["terminated_by"]) == \
            ("SIGKILL", {"pid": summary["root_pid"], "reason": "kill"}), child
        [finding] = [f for f in summary["findings"] if f["pid"] == child["pid"]]
        assert " after its program had finished and begun to exit" in finding["message"], \
            finding
        if mode:  # (full mode: a save slowed by a loaded machine may be blamed, rightly)
            assert "function trace" not in finding["message"], finding
            assert "Without concurtrace" not in finding["advice"], finding


def test_the_thread_of_a_program_not_python_is_not_mainthread(tmp_path: Path) -> None:
    """sanic and scrapy run `uname` (platform.uname()): its one thread read 'MainThread', a
    Python name for a thread of a C program; the sampler saw its real name."""
    trace = tmp_path / "t.pftrace"
    code = "import subprocess\nsubprocess.run(['sleep', '0.4'])\nprint('ok')"
    for mode in ((), ("--light",)):
        run = concurtrace("run", "--quiet", *mode, "-o", str(trace), "--force", "-c", code,
                          cwd=tmp_path)
        assert (run.returncode, run.stdout) == (0, "ok\n"), run.stderr
        summary = summary_json(trace)
        [child] = [p for p in summary["processes"] if p["pid"] != summary["root_pid"]]
        assert (child["name"], child["traced"]) == ("sleep", False), child
        names = [t["name"] for t in summary["threads"] if t["pid"] == child["pid"]]
        assert names == ["sleep"], names


def test_a_ctrl_c_passed_on_names_both_senders(tmp_path: Path) -> None:
    """sanic -w 2 at Ctrl-C: each worker took the group's SIGINT and began to stop, then its
    master's os.kill(SIGINT) 5 ms later; the summary read 'exit 0 after SIGINT from
    MainProcess (handled)', as if only the master had stopped it."""
    script = str(SCRIPTS / "sigint_passed_on.py")
    plain = _sigint_group([sys.executable, script])
    assert plain[:2] == (0, "ready\n[0, 0]\n"), plain
    for mode in ((), ("--light",)):
        trace = tmp_path / "t.pftrace"
        run = _sigint_group([sys.executable, "-m", "concurtrace", "run", "--quiet", *mode,
                             "-o", str(trace), "--force", script])
        assert run[:2] == plain[:2], run
        summary = summary_json(trace)
        root = summary["root_pid"]
        workers = [p for p in summary["processes"] if p["name"].startswith("worker-")]
        assert len(workers) == 2, summary["processes"]
        for proc in workers:
            handled = proc["handled_signal"]  # the last stamped; the group's is stamped
            # when concurtrace heard of it, maybe after the master passed it on
            sends = [handled, *handled.get("also", [])]
            assert sorted((s["signal"], s["pid"] or 0, s["reason"]) for s in sends) == \
                [("SIGINT", 0, "external"), ("SIGINT", root, "terminate")], proc
        text = re.sub(r"[\s│]+", " ", concurtrace("summary", str(trace)).stdout)  # unwrapped
        assert text.count("exit 0 after SIGINT from outside the traced tree and from "
                          "MainProcess (handled)") == 2, text
