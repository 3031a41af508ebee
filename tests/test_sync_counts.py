"""Issue 16: "a lock storm (4 threads x 200k acquire/release) is reported, not hidden":
a lock's acquisitions and contended acquisitions are counted, short waits included, so
a storm whose every wait is under the threshold still has its row (JSON and terminal)."""

from __future__ import annotations

from pathlib import Path

import pytest
from traced import SCRIPTS, trace_run

from concurtrace.model.sync import build_sync

STORM = SCRIPTS / "lock_storm.py"
TAKEN = 4 * 2500


def _storm_row(summary: dict[str, object]) -> dict[str, object]:
    sync = summary["sync"]
    assert isinstance(sync, dict)
    rows = [o for o in sync["objects"] if str(o["label"]).startswith("Lock@lock_storm.py")]
    assert len(rows) == 1, sync["objects"]
    return dict(rows[0])


@pytest.mark.parametrize("mode", [("--light",), ()], ids=["light", "full"])
def test_storm_of_short_waits_is_counted(tmp_path: Path, mode: tuple[str, ...]) -> None:
    """Threshold 100 ms: the storm's waits are short (a busy machine makes a few long), yet
    the lock's row says how often it was taken and contended, short waits included, and how
    long the contended acquires took."""
    run = trace_run(tmp_path / "t.pftrace", str(STORM),
                    options=(*mode, "--sync-threshold-ms", "100"))
    assert run.returncode == 0 and run.stdout == "done\n", run.stderr
    row = _storm_row(run.summary())
    assert row["acquisitions"] == TAKEN, row  # every with-block, not one more
    contended = int(str(row["contended"]))
    assert 500 <= contended <= TAKEN, row  # the nap inside lets the others run into it
    assert contended >= int(str(row["waits"])) + 400, row  # the short ones are counted
    assert int(str(row["contended_ns"])) >= int(str(row["total_wait_ns"])), row
    said = " ".join(run.stderr.split())
    assert f"taken {TAKEN:,} times, {contended:,} of them contended" in said, said


def test_counts_alone_make_a_row() -> None:
    """No wait over the threshold at all: the counts alone make the lock's row, from its
    last totals (records arrive per thread, not in count order)."""
    pid = 100

    def counts(ts: int, acquires: int, contended: int, ns: int) -> dict[str, object]:
        return {"ev": "lock_counts", "ts": ts, "pid": pid, "tid": 1, "obj": 7, "kind": "Lock",
                "label": "Lock@x.py:3 (L)", "acquires": acquires, "contended": contended,
                "contended_ns": ns}

    data = build_sync([counts(10, 50, 4, 2_000_000), counts(30, 900, 64, 9_000_000),
                       counts(20, 400, 32, 5_000_000)])
    assert data.waits == [] and data.recorded
    [tally] = data.counts.values()
    assert (tally.label, tally.acquires, tally.contended, tally.contended_ns) == (
        "Lock@x.py:3 (L)", 900, 64, 9_000_000)


def test_counts_written_along_the_way_survive_os_exit(tmp_path: Path) -> None:
    """os._exit runs no exit handler: the totals written at the 1st, 2nd, 4th ... 2048th
    and every 4096th contended acquisition are what is known, never more than happened."""
    run = trace_run(tmp_path / "t.pftrace", str(STORM), "os._exit",
                    options=("--quiet", "--light", "--sync-threshold-ms", "100"))
    assert run.returncode == 0, run.stderr
    row = _storm_row(run.summary())
    assert 256 <= int(str(row["contended"])) <= int(str(row["acquisitions"])) <= TAKEN, row
