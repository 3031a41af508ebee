"""The dumps merged in worker processes (runner/merge_pool.py) give the serial timeline.

A real traced tree of three processes is kept (--keep-temp); its dumps are merged
serially and in workers (the size threshold forced down), and the trace bytes and the
summary's timeline compared. A worker that dies or raises makes the merge serial with
the same result; Ctrl-C during the merge leaves no worker behind.
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from pathlib import Path

import psutil
import pytest
from traced import concurtrace

from concurtrace.exporters import perfetto
from concurtrace.model.analysis import analyse
from concurtrace.model.build import CallsToMerge, build_timeline
from concurtrace.model.lifecycle import add_lifecycle
from concurtrace.model.records import read_session
from concurtrace.model.serialize import timeline_to_dict
from concurtrace.model.sources import Observed
from concurtrace.model.traces import MergedCalls
from concurtrace.runner import merge_pool
from concurtrace.runner.collect import find_traces

SCRIPT = Path(__file__).parent / "scripts" / "calls_in_processes.py"


@pytest.fixture(scope="module")
def session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    out = tmp_path_factory.mktemp("pool") / "t.pftrace"
    env = dict(os.environ, _CONCURTRACE_POOL_MIN_BYTES="1")  # the run itself uses the pool
    done = concurtrace("run", "--keep-temp", "-o", str(out), str(SCRIPT), env=env)
    assert done.returncode == 0, done.stderr
    kept = re.search(r"session directory kept in (\S+)", done.stderr)
    assert kept is not None, done.stderr
    yield Path(kept.group(1))
    shutil.rmtree(kept.group(1))


def exported(session: Path, pooled: bool) -> tuple[bytes, str, list[bool]]:
    """The trace bytes; the timeline's JSON, warnings and how many calls are unfinished;
    whether the pool merged (per build)."""
    records, warnings = read_session(session), list[str]()
    traces = find_traces(session, warnings)
    used: list[bool] = []
    merger = merge_pool.pool_merger(traces) if pooled else None

    def watched(jobs: dict[int, CallsToMerge]) -> Mapping[int, MergedCalls] | None:
        assert merger is not None
        found = merger(jobs)
        used.append(found is not None)
        return found
    timeline = build_timeline(records, traces, Observed(), min(traces), 0, 0,
                              watched if pooled else None)
    add_lifecycle(timeline, records)
    analyse(timeline)
    buffer = io.BytesIO()
    perfetto.write(timeline, buffer)
    summary = json.dumps(timeline_to_dict(timeline), sort_keys=True, default=str)
    unfinished = sum(bool(piece.args and piece.args.get("unfinished"))
                     for proc in timeline.processes.values()
                     for thread in proc.threads.values()
                     for piece in thread.slices.objects.values())
    return buffer.getvalue(), f"{summary}\n{warnings}\nunfinished {unfinished}", used


def children() -> set[int]:
    return {child.pid for child in psutil.Process().children(recursive=True)}


def test_pool_gives_the_serial_timeline(session: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    serial, serial_summary, _ = exported(session, pooled=False)
    monkeypatch.setenv(merge_pool.MIN_BYTES_VARIABLE, "1")
    pooled, pooled_summary, used = exported(session, pooled=True)
    assert used == [True]
    assert len(find_traces(session, [])) == 3
    assert not serial_summary.endswith("unfinished 0")  # os._exit left calls open
    assert pooled == serial
    assert pooled_summary == serial_summary


@pytest.mark.parametrize("fault", ["exit", "raise"])
def test_a_failing_worker_merges_serially(session: Path, fault: str,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    serial, serial_summary, _ = exported(session, pooled=False)
    before = children()
    monkeypatch.setenv(merge_pool.MIN_BYTES_VARIABLE, "1")
    monkeypatch.setenv(merge_pool.FAULT_VARIABLE, fault)
    pooled, pooled_summary, used = exported(session, pooled=True)
    assert used == [False]  # the pool gave up; the build merged every dump itself
    assert (pooled, pooled_summary) == (serial, serial_summary)
    assert children() == before


def test_ctrl_c_during_the_merge_leaves_no_worker(session: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(merge_pool.MIN_BYTES_VARIABLE, "1")
    monkeypatch.setenv(merge_pool.FAULT_VARIABLE, "hang")
    traces = find_traces(session, [])
    merger = merge_pool.pool_merger(traces)
    assert merger is not None
    before = children()
    timer = threading.Timer(1.0, os.kill, (os.getpid(), signal.SIGINT))
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            build_timeline(read_session(session), traces, Observed(), min(traces), 0, 0,
                           merger)
    finally:
        timer.cancel()
    assert children() == before



def test_ctrl_c_of_a_run_in_its_merge_kills_the_workers(tmp_path: Path) -> None:
    """The whole command: a SIGINT while a worker merges ends concurtrace as a Ctrl-C
    while saving does (the session kept), and the worker is gone."""
    env = dict(os.environ, _CONCURTRACE_POOL_MIN_BYTES="1", _CONCURTRACE_POOL_FAULT="hang")
    run = subprocess.Popen([sys.executable, "-m", "concurtrace", "run", "-o",
                            str(tmp_path / "t.pftrace"), str(SCRIPT)], env=env,
                           stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        worker = None
        deadline = time.monotonic() + 60
        while worker is None and time.monotonic() < deadline and run.poll() is None:
            for child in psutil.Process(run.pid).children():
                try:
                    if "concurtrace.runner.merge_pool" in " ".join(child.cmdline()):
                        worker = child
                except psutil.Error:
                    pass
            time.sleep(0.05)
        assert worker is not None, "no merge worker started"
        os.kill(run.pid, signal.SIGINT)
        _, stderr = run.communicate(timeout=30)
    finally:
        if run.poll() is None:
            run.kill()
            run.wait()
    assert run.returncode != 0
    assert "session directory kept" in stderr or "kept" in stderr, stderr
    assert not worker.is_running() or worker.status() == psutil.STATUS_ZOMBIE
    kept = re.search(r"(/\S*concurtrace-\w+)", stderr)
    if kept is not None:
        shutil.rmtree(kept.group(1), ignore_errors=True)
