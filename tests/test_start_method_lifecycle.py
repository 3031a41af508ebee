"""Daemon cleanup under every start method: the daemon child is terminated by SIGTERM at its
parent's exit, whether or not its own tracer had started, and the trace says who did it."""

from __future__ import annotations

from pathlib import Path

import pytest
from traced import trace_run

SCRIPT = """
import multiprocessing as mp, sys, time
def work():
    time.sleep(3)
if __name__ == "__main__":
    ctx = mp.get_context(sys.argv[1])
    ctx.Process(target=work, name="doomed", daemon=True).start()
    time.sleep(float(sys.argv[2]))  # 0: killed at once; 1: killed mid-work
"""


@pytest.mark.parametrize("method", ["fork", "spawn", "forkserver"])
@pytest.mark.parametrize("delay", ["0", "1"])
def test_daemon_cleanup(tmp_path: Path, method: str, delay: str) -> None:
    script = tmp_path / "daemon.py"
    script.write_text(SCRIPT)
    run = trace_run(tmp_path / "d.pftrace", str(script), "--", method, delay)
    assert run.returncode == 0, run.stderr
    summary = run.summary()
    root = summary["processes"][0]
    doomed = next(p for p in summary["processes"] if p["name"] == "doomed")
    assert doomed["ppid"] == root["pid"] and doomed["start_method"] == method
    assert doomed["daemon"] is True
    assert doomed["exit_code"] == -15 and doomed["signal"] == "SIGTERM"
    assert doomed["terminated_by"] == {"pid": root["pid"], "reason": "daemon_cleanup"}
    kinds = {f["kind"] for f in summary["findings"]}
    assert "daemon_process_terminated" in kinds
    if delay == "1":
        assert doomed["traced"] is True  # its tracer ran: its work is in the trace
    if not doomed["traced"]:
        assert "killed_before_trace" in kinds
