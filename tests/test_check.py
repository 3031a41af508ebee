"""`concurtrace check` as a CI gate; this file is also the README's pytest example."""

from __future__ import annotations

from pathlib import Path

from traced import SCENARIOS, concurtrace, trace_run


def test_gate_fails_on_daemon_kill_and_passes_clean_runs(tmp_path: Path) -> None:
    killed = trace_run(tmp_path / "p.pftrace", str(SCENARIOS / "processes.py"))
    gate = concurtrace("check", str(killed.trace), "--no-daemon-kill", "--no-nonzero-exit")
    assert gate.returncode == 1
    assert "daemon_process_terminated: Process-1 (daemon)" in gate.stdout

    clean = trace_run(tmp_path / "c.pftrace", "-c", "import threading; "
                      "t = threading.Thread(target=sum, args=([1],)); t.start(); t.join()")
    gate = concurtrace("check", str(clean.trace), "--no-daemon-kill", "--no-abandoned-threads",
                       "--no-nonzero-exit", "--max-gil-wait", "0.5")
    assert gate.returncode == 0, gate.stdout


def test_gate_rejects_bad_limits_and_bad_traces(tmp_path: Path) -> None:
    bogus = tmp_path / "x.pftrace"
    bogus.write_bytes(b"not a trace")
    assert concurtrace("check", str(bogus)).returncode == 2
    done = concurtrace("check", str(bogus), "--max-gil-wait", "3")
    assert done.returncode == 2 and "Traceback" not in done.stderr
