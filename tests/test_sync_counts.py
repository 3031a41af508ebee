"""Issue 16: "a lock storm (4 threads x 200k acquire/release) is reported, not hidden":
a lock's acquisitions and contended acquisitions are counted, short waits included, so
a storm whose every wait is under the threshold still has its row (JSON and terminal)."""

from __future__ import annotations

from pathlib import Path

import pytest
from traced import SCRIPTS, trace_run

STORM = SCRIPTS / "lock_storm.py"
TAKEN = 4 * 5000


def _storm_row(summary: dict[str, object]) -> dict[str, object]:
    sync = summary["sync"]
    assert isinstance(sync, dict)
    rows = [o for o in sync["objects"] if str(o["label"]).startswith("Lock@lock_storm.py")]
    assert len(rows) == 1, sync["objects"]
    return dict(rows[0])


@pytest.mark.parametrize("mode", [("--light",), ()], ids=["light", "full"])
def test_storm_of_short_waits_is_counted(tmp_path: Path, mode: tuple[str, ...]) -> None:
    """With a threshold no wait reaches (1 s), no wait is recorded, yet the lock's row
    says how often it was taken and contended, and how long the contended acquires took."""
    run = trace_run(tmp_path / "t.pftrace", str(STORM),
                    options=(*mode, "--sync-threshold-ms", "1000"))
    assert run.returncode == 0 and run.stdout == "done\n", run.stderr
    row = _storm_row(run.summary())
    assert row["waits"] == 0 and row["total_wait_ns"] == 0, row
    assert row["acquisitions"] == TAKEN, row  # every with-block, not one more
    contended = int(str(row["contended"]))
    assert 500 <= contended <= TAKEN, row  # time.sleep(0) inside lets the others run into it
    assert int(str(row["contended_ns"])) > 0, row
    said = " ".join(run.stderr.split())
    assert f"taken {TAKEN:,} times, {contended:,} of them contended" in said, said


def test_counts_written_along_the_way_survive_os_exit(tmp_path: Path) -> None:
    """os._exit runs no exit handler: the totals written at the 1st, 2nd, 4th ... 2048th
    and every 4096th contended acquisition are what is known, never more than happened."""
    run = trace_run(tmp_path / "t.pftrace", str(STORM), "os._exit",
                    options=("--quiet", "--light", "--sync-threshold-ms", "1000"))
    assert run.returncode == 0, run.stderr
    row = _storm_row(run.summary())
    assert 256 <= int(str(row["contended"])) <= int(str(row["acquisitions"])) <= TAKEN, row
