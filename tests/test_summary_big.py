"""The terminal summary of a big program stays short; `summary --json` keeps everything
(issue 14, item 13). tests/scripts/big_program.py has a 40-worker ThreadPoolExecutor of
CPU-bound tasks, 30 sleeping threads and 5 forked processes with two threads each."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from traced import SCRIPTS, Traced, concurtrace, trace_run

from concurtrace.report.groups import name_pattern


@pytest.fixture(scope="module")
def big_run(tmp_path_factory: pytest.TempPathFactory) -> Traced:
    out = tmp_path_factory.mktemp("big") / "big.pftrace"
    # --no-sync: the grouping is what this test checks. With the sync hooks on, a loaded
    # machine gave MainThread and fork children GIL findings of their own more often (4-7
    # "CPU-bound" advices seen on 3.10/3.13, 2-5 with --no-sync); that the records no longer
    # release the GIL is test_sync_transport.py's test_a_recorded_hand_off_keeps_the_gil.
    return trace_run(out, str(SCRIPTS / "big_program.py"), options=("--light", "--no-sync"))


def _flat(text: str) -> str:
    return " ".join(text.split())


def test_summary_fits_and_groups_alike_findings(big_run: Traced) -> None:
    assert big_run.returncode == 0, big_run.stderr
    assert "threads 71 processes 5" in big_run.stdout
    lines = big_run.stderr.splitlines()
    assert len(lines) <= 100, big_run.stderr  # about two screens (was ~300 lines)
    data = big_run.summary()
    gil = [f for f in data["findings"] if f["kind"] == "gil_contention"]
    pool = [f for f in gil if "'ThreadPoolExecutor-0_" in f["message"]]
    # Most of the 40 workers wait >= 20 % for the GIL; on a loaded machine their wait moves
    # to the run queue, so ask only for a group's worth (the grouping is what is tested).
    assert len(pool) >= 4, [f["message"] for f in gil]
    said = re.search(r"• (\d+) threads 'ThreadPoolExecutor-0_\*' in MainProcess waited for "
                     r"the GIL: GIL wait median (\d+)%, worst (\d+)%", _flat(big_run.stderr))
    assert said, big_run.stderr
    assert int(said.group(1)) == len(pool)
    shares = [int(m.group(1)) for f in pool if (m := re.search(r"spent (\d+)%", f["message"]))]
    assert int(said.group(3)) == max(shares)
    assert "Worst: Thread 'ThreadPoolExecutor-0_" in _flat(big_run.stderr)
    # The advice is said once per bullet (a group or a lone thread), not once per thread:
    # how many bullets depends on the load (fork children's threads get GIL findings of
    # their own on a busy machine), so count them rather than bound them.
    findings = _flat(big_run.stderr).split(" Findings ", 1)[1]
    bullets = [b for b in findings.split("• ")[1:] if "for the GIL" in b.split("CPU-bound")[0]]
    assert big_run.stderr.count("CPU-bound Python") == len(bullets)
    assert len(bullets) < len(gil) / 4, bullets  # 40+ findings said in a few bullets


def test_json_keeps_every_thread_and_finding(big_run: Traced) -> None:
    data = big_run.summary()
    root = next(p for p in data["processes"] if p["name"] == "MainProcess")
    mine = [t for t in data["threads"] if t["pid"] == root["pid"]]
    assert len(mine) == 71 and len({t["tid"] for t in mine}) == 71
    assert sum(t["name"].startswith("ThreadPoolExecutor-0_") for t in mine) == 40
    forks = [p for p in data["processes"] if p["name"].startswith("ForkProcess-")]
    assert len(forks) == 5
    assert sum(t["pid"] in {p["pid"] for p in forks} for t in data["threads"]) == 15
    gil_threads = {(t["pid"], t["tid"]) for t in data["threads"]
                   if t["ended_ns"] and t["ended_ns"] - t["started_ns"] >= 50_000_000
                   and t["states_ns"]["gil"] / (t["ended_ns"] - t["started_ns"]) >= 0.2}
    findings = {(f["pid"], f["tid"]) for f in data["findings"] if f["kind"] == "gil_contention"}
    assert findings == gil_threads  # one finding per contended thread, none merged away


def test_summary_rows_and_sampler_line_agree(big_run: Traced, tmp_path: Path) -> None:
    env = {**os.environ, "COLUMNS": "160"}
    done = concurtrace("summary", str(big_run.trace), env=env)
    assert done.returncode == 0, done.stderr
    text = done.stdout + done.stderr
    assert "ThreadPoolExecutor-0_* ×40" in text
    assert "ForkProcess-* ×5" in text and "Threads of ForkProcess-* (5 processes)" in text
    assert "MainThread ×5" in text
    note = re.search(r"down to (\d+) Hz.*?; it sampled at (\d+) Hz on average", _flat(text))
    line = re.search(r"sampler: (\d+) Hz on average \(asked 500; the (?:thread|CPU) budget"
                     r"[^;]*? lowered the aim to (\d+) Hz", _flat(text))
    assert note and line, text  # 71 threads x 500 Hz is over the sampler's budget
    assert (line.group(1), line.group(2)) == (note.group(2), note.group(1))


@pytest.mark.parametrize(("name", "pattern"), [
    ("ThreadPoolExecutor-0_12", "ThreadPoolExecutor-0_*"),
    ("Thread-45 (wrapper)", "Thread-* (wrapper)"),
    ("cpu4-3", "cpu4-*"),
    ("MainThread", "MainThread"),
    ("SpawnPoolWorker-7", "SpawnPoolWorker-*"),
    ("asyncio_0", "asyncio_*"),
])
def test_name_pattern(name: str, pattern: str) -> None:
    assert name_pattern(name) == pattern


def test_small_thread_table_lists_every_thread() -> None:
    """Four workers are four rows (a learner compares them); forty are one grouped row."""
    from rich.console import Console

    from concurtrace.model.timeline import Thread
    from concurtrace.report.threads import thread_table

    def table_text(count: int) -> str:
        threads = [Thread(pid=1, tid=10 + i, name=f"worker-{i}", started_ns=0, ended_ns=10**9)
                   for i in range(count)]
        table, _left = thread_table(threads, show_states=False)
        console = Console(width=120, record=True)
        console.print(table)
        return console.export_text()

    small = table_text(4)
    assert all(f"worker-{i}" in small for i in range(4)) and "×" not in small, small
    assert "worker-* ×40" in table_text(40)
