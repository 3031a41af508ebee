"""Issue 16: multiprocessing.connection.wait() on several Pipe ends and a child's
sentinel names them, says how it ended, and credits the child's send into the end that
became ready (or its exit), across processes; multiprocessing's own calls of it
(Connection.poll, a ProcessPoolExecutor's management thread) stay unrecorded."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import engine
import pytest
from test_sync_mp import CROSS_FLOWS, METHODS, _line
from test_sync_mp_waits import WAITS
from traced import SCRIPTS, trace_run

SCRIPT = SCRIPTS / "mp_conn_wait.py"


@pytest.mark.parametrize("method", METHODS)
def test_connection_wait_names_its_objects_and_the_sender(method: str, tmp_path: Path) -> None:
    plain = subprocess.run([sys.executable, str(SCRIPT), method], capture_output=True,
                           text=True, timeout=60)
    run = trace_run(tmp_path / "t.pftrace", str(SCRIPT), method)
    assert run.returncode == plain.returncode == 0, run.stderr
    assert run.stdout == plain.stdout == "[True] hello\n[]\nTrue\n"
    quiet = f"Pipe@mp_conn_wait.py:{_line(SCRIPT, 'quiet_in, quiet_out =')} (quiet_in)"
    loud = f"Pipe@mp_conn_wait.py:{_line(SCRIPT, 'loud_in, loud_out =')} (loud_in)"
    made = f"Process@mp_conn_wait.py:{_line(SCRIPT, 'worker = ctx.Process(')} (sender)"
    rows = [r for r in engine.query(run.trace, WAITS) if "connection.wait@" in r["name"]]
    head = "waiting in connection.wait@mp_conn_wait.py:{} for "
    at = [_line(SCRIPT, what) for what in ("ready = wait(", "wait([quiet_in], 0.05)",
                                            "wait([worker.sentinel])")]
    assert [(r["name"], r["outcome"], r["releaser"]) for r in rows] == [
        (f"{head.format(at[0])}{quiet}, {loud} and {made}", "ready", "MainThread of sender"),
        (f"{head.format(at[1])}{quiet}", "timed_out", None),
        (f"{head.format(at[2])}{made}", "ready", "MainThread of sender")], rows
    assert rows[0]["dur"] >= 100e6 and 40e6 <= rows[1]["dur"] <= 2e9, rows
    flows = [f for f in engine.query(run.trace, CROSS_FLOWS) if f["dst"] == "resumed: ready"]
    assert sorted(f["src"].split(" ")[0] for f in flows) == ["ended", "sent"], flows
    assert all(f["src_upid"] != f["dst_upid"] for f in flows), flows
    objects = {o["label"]: o for o in run.summary()["sync"]["objects"]}
    row = objects[f"connection.wait@mp_conn_wait.py:{at[0]} for {quiet}, {loud} and {made}"]
    assert row["outcomes"] == {"ready": 1} and row["kind"] == "connection.wait", row
    assert engine.stats_errors(run.trace) == []


def test_internal_polls_are_not_waits(tmp_path: Path) -> None:
    """Connection.poll(t) calls wait() inside multiprocessing: a Pipe poll's own wait,
    not a connection.wait() of the program's."""
    script = tmp_path / "polls.py"
    script.write_text("import multiprocessing as mp\n"
                      "a, b = mp.Pipe()\n"
                      "print(a.poll(0.05), b.poll(0))\n")
    run = trace_run(tmp_path / "t.pftrace", str(script))
    assert run.returncode == 0 and run.stdout == "False False\n", run.stderr
    names = [r["name"] for r in engine.query(run.trace, WAITS)]
    assert names == ["waiting in poll() for a message from Pipe@polls.py:2 (a)"], names
