"""Issue 16: a wait on a ProcessPoolExecutor's futures (result(), wait(), as_completed())
names the worker process that ran the call, with the arrow from its result put, not the
parent's executor manager thread that completed the future; a pool broken by a dead
worker stays credited to that thread. Results, exceptions and tracebacks as without us."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import engine
import pytest
from test_sync_mp import CROSS_FLOWS, METHODS, _line
from test_sync_mp_waits import WAITS
from test_tracebacks import OWN_ENTRY, program_stderr
from traced import SCRIPTS, trace_run

SCRIPT = SCRIPTS / "cf_process_pool.py"


@pytest.mark.parametrize("method", METHODS)
def test_process_pool_waits_name_the_worker(method: str, tmp_path: Path) -> None:
    plain = subprocess.run([sys.executable, str(SCRIPT), method], capture_output=True,
                           text=True, timeout=60)
    run = trace_run(tmp_path / "t.pftrace", str(SCRIPT), method, str(tmp_path / "ran.json"))
    assert run.returncode == plain.returncode == 0, run.stderr
    assert run.stdout == plain.stdout == "4\n[1] 1\n9\n[1, 9]\n"
    got, expected = program_stderr(run.stderr), program_stderr(plain.stderr)
    if sys.version_info < (3, 11):  # clean_raise's own frame stays there (see test_tracebacks)
        assert len(OWN_ENTRY.findall(got)) <= got.count("Traceback (most recent"), got
        got = OWN_ENTRY.sub("", got)
    assert got == expected
    assert "ValueError: bad 7" in plain.stderr and "BrokenProcessPool" in plain.stderr
    ran = json.loads((tmp_path / "ran.json").read_text())
    at = {what: _line(SCRIPT, what) for what in (
        "pool.submit(slow, 2)", "cf.wait([first", "cf.wait(rest)", "cf.as_completed(calls)",
        "pool.submit(bad", "broken.submit(")}
    future = "waiting for the result of Future@cf_process_pool.py:{}"
    futures = "waiting in {}() for {} (Futures@cf_process_pool.py:{})"
    as_completed = futures.format("as_completed", "2 futures", at["cf.as_completed(calls)"])
    expected = [(future.format(at["pool.submit(slow, 2)"]) + " (future)", "completed",
                 ran["result"]),
                (futures.format("wait", "2 futures", at["cf.wait([first"]), "completed",
                 ran["wait_first"]),
                (futures.format("wait", "1 future", at["cf.wait(rest)"]), "completed",
                 ran["wait_rest"]),
                (as_completed, "completed", ran["as_completed_0"]),
                (as_completed, "completed", ran["as_completed_1"]),
                (future.format(at["pool.submit(bad"]), "raised", "a worker"),
                (future.format(at["broken.submit("]), "raised", None)]
    rows = [r for r in engine.query(run.trace, WAITS) if "Future" in r["name"]
            and not r["name"].endswith(f":{_line(SCRIPT, 'pool.submit(slow, 0)')}")]
    assert [(r["name"], r["outcome"]) for r in rows] == [e[:2] for e in expected], rows
    worker = r"MainThread of (Fork|Spawn|ForkServer)Process-\d+"
    for row, (_name, _outcome, pid) in zip(rows, expected, strict=True):
        if pid is None:  # the dead worker put nothing: the manager thread broke the pool
            assert re.fullmatch(r"Thread-\d+.*", str(row["releaser"])), row
            assert row["releaser_pid"] is None, row
            continue
        assert re.fullmatch(worker, str(row["releaser"])), row
        assert pid == "a worker" or row["releaser_pid"] == pid, (row, ran)
    flows = [f for f in engine.query(run.trace, CROSS_FLOWS)
             if re.match(r"completed (a future of )?Futures?@cf_process_pool", f["src"])]
    crossing = [f for f in flows if f["src_upid"] != f["dst_upid"]]
    assert len(crossing) >= 6, flows
    objects = {o["label"]: o for o in run.summary()["sync"]["objects"]}
    enders = objects[f"Future@cf_process_pool.py:{at['pool.submit(slow, 2)']} (future)"][
        "ended_by"]
    assert [re.fullmatch(worker, e["thread"]) is not None for e in enders] == [True], enders
    assert engine.stats_errors(run.trace) == []


@pytest.mark.parametrize("method", METHODS)
def test_a_workers_wait_for_work_names_who_put_it(method: str, tmp_path: Path) -> None:
    """A worker's get on the pool's call queue (a _SafeQueue, a multiprocessing Queue) is
    ended by the parent's put of the call: the executor's manager thread, in the parent,
    with the arrow from there. It had no releaser (its kind, mp._SafeQueue.get, was none
    that a put ends)."""
    run = trace_run(tmp_path / "t.pftrace", str(SCRIPT), method, options=("--light", "--quiet"))
    assert run.returncode == 0, run.stderr
    summary = run.summary()
    root = summary["root_pid"]
    names = {p["pid"]: p["name"] for p in summary["processes"]}
    # (its name, reached in a fork worker through the parent's executor, not in spawn's)
    gets = [r for r in engine.query(run.trace, WAITS) if re.fullmatch(
        r"waiting for an item from mp\.Queue@cf_process_pool\.py:\d+( \(.*_call_queue\))?",
        r["name"])]
    assert len(gets) >= 3, engine.query(run.trace, WAITS)
    # A get that began after its item was put (a worker just started, the parent's feeder
    # thread still writing) has no releaser: the put signalled no one, nothing is invented.
    ended = [r for r in gets if r["outcome"] == "got_item" and r["releaser"] is not None]
    assert len(ended) >= 3 and all(r["releaser_pid"] == root for r in ended), gets
    assert all(re.fullmatch(rf"Thread-\d+ of {names[root]}", str(r["releaser"]))
               for r in ended), ended
    flows = [f for f in engine.query(run.trace, CROSS_FLOWS)
             if f["src"].startswith("put into mp.Queue@cf_process_pool.py:")]
    assert len([f for f in flows if f["src_upid"] != f["dst_upid"]]) >= len(ended), flows
