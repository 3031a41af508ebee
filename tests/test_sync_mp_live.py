"""Issue 16: the live deadlock detector finds a cycle across processes (two children, two
multiprocessing Locks taken ABBA) while the run goes on, and --stop-on-deadlock stops
the whole tree."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest
from traced import SCRIPTS, start_detached, summary_json

SAID = "concurtrace: deadlock in processes transfer-"


@pytest.mark.parametrize("method", ("fork", "spawn", "forkserver"))
def test_live_detector_stops_a_cycle_across_processes(method: str, tmp_path: Path) -> None:
    trace = tmp_path / "t.pftrace"
    proc = start_detached([sys.executable, "-m", "concurtrace", "run", "--quiet",
                           "--stop-on-deadlock", "--deadlock-after", "1", "-o", str(trace),
                           str(SCRIPTS / "mp_deadlock_live.py"), method])
    assert proc.stdout is not None and proc.stderr is not None
    assert proc.stdout.readline().startswith("holding")  # both hold their first lock
    formed = time.monotonic() + 0.1
    said, lines = None, []
    for line in proc.stderr:
        lines.append(line)
        if said is None and line.startswith(SAID):
            said = time.monotonic()
    proc.wait(timeout=60)
    ended, err = time.monotonic(), "".join(lines)
    assert said is not None, err
    # each wait is 1 s old 1 s after the cycle formed; polls every 0.25 s, one session read
    assert 0.9 <= said - formed <= 1 + 2, err
    assert ended - said <= 4, err  # SIGTERM to the tree, the save, the trace written
    assert proc.returncode == 128 + 15, err
    assert err.count("concurtrace: deadlock") == 1, err  # not said again at the end
    assert "MainThread in transfer-ab waits for mp.Lock@mp_deadlock_live.py:" in err \
        or "MainThread in transfer-ba waits for mp.Lock@mp_deadlock_live.py:" in err, err
    summary = summary_json(trace)
    [deadlock] = summary["sync"]["deadlocks"]
    assert deadlock["detected"] == "live", deadlock
    steps = deadlock["cycle"]
    assert {s["pid"] for s in steps} == {s["held_by_pid"] for s in steps}
    assert len({s["pid"] for s in steps}) == 2
    children = [p for p in summary["processes"] if p["name"].startswith("transfer-")]
    assert len(children) == 2, summary["processes"]
    root = next(p for p in summary["processes"] if p["name"] == "MainProcess")
    assert root["terminated_by"] == {"pid": None, "reason": "deadlock"}, root
