"""Issue 16, multiprocessing waits beyond the locks and queues: Pipe recv/poll, Process
.join (and multiprocessing's exit join), Pool results; each labelled where the program
made it and credited to the thread of the other process that ended it."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import engine
import pytest
from test_sync_mp import CROSS_FLOWS, METHODS, _line
from test_tracebacks import OWN_ENTRY, compare
from traced import SCRIPTS, trace_run

WAITS = ("select s.name, s.dur, extract_arg(s.arg_set_id, 'debug.releaser') as releaser, "
         "extract_arg(s.arg_set_id, 'debug.releaser_pid') as releaser_pid, "
         "extract_arg(s.arg_set_id, 'debug.outcome') as outcome "
         "from slice s join track t on s.track_id = t.id "
         "where t.name like '% sync%' and s.name like 'waiting %' order by s.ts")


@pytest.mark.parametrize("method", METHODS)
def test_pipe_and_join_waits_name_the_child(method: str, tmp_path: Path) -> None:
    script = SCRIPTS / "mp_pipe_join.py"
    plain = subprocess.run([sys.executable, str(script), method], capture_output=True,
                           text=True, timeout=60)
    run = trace_run(tmp_path / "t.pftrace", str(script), method)
    assert run.returncode == plain.returncode == 0, run.stderr
    assert run.stdout == plain.stdout
    assert "eof EOFError()" in run.stdout and "error negative maxlength" in run.stdout
    duplex = f"Pipe@mp_pipe_join.py:{_line(script, 'parent_end, child_end = ctx.Pipe()')}"
    oneway = f"Pipe@mp_pipe_join.py:{_line(script, 'ctx.Pipe(duplex=False)')}"
    made = f"Process@mp_pipe_join.py:{_line(script, 'worker = ctx.Process(')} (pipe-child)"
    rows = engine.query(run.trace, WAITS)
    got = [(r["name"], r["outcome"], r["releaser"]) for r in rows]
    child = "MainThread of pipe-child"
    assert got == [
        (f"waiting for a message from {duplex} (parent_end)", "got_item", child),
        (f"waiting in poll() for a message from {oneway} (reader)", "timed_out", None),
        (f"waiting in poll() for a message from {oneway} (reader)", "ready", child),
        (f"waiting for a message from {duplex} (parent_end)", "eof", child),
        (f"waiting for {made} to end", "exited", child)], got
    # The first waits for the child to start and sleep 150 ms; each later one for the
    # child's next 150 ms step less the parent's own lag (a loaded machine: any of it).
    assert rows[0]["dur"] >= 150e6 and all(r["dur"] >= 1e6 for r in rows), rows
    flows = [f for f in engine.query(run.trace, CROSS_FLOWS)
             if "Pipe@" in f["src"] or "Process@" in f["src"]]
    assert sorted(f["src"].split(" ")[0] for f in flows) == ["closed", "ended", "sent",
                                                             "sent"], flows
    assert all(f["src_upid"] != f["dst_upid"] for f in flows), flows
    objects = {o["label"]: o for o in run.summary()["sync"]["objects"]}
    assert objects[f"{duplex} (parent_end)"]["outcomes"] == {"got_item": 1, "eof": 1}
    assert objects[made]["ended_by"] == [{"thread": child, "waits": 1}]
    assert engine.stats_errors(run.trace) == []


def test_exit_join_is_drawn_as_the_exit_wait(tmp_path: Path) -> None:
    """The program returns with a child running: multiprocessing's exit function joins it."""
    script = tmp_path / "leave.py"
    script.write_text("import multiprocessing as mp, time\n"
                      "if __name__ == '__main__':\n"
                      "    mp.get_context('fork').Process(target=time.sleep, args=(0.3,),"
                      " name='left').start()\n")
    run = trace_run(tmp_path / "t.pftrace", str(script))
    assert run.returncode == 0, run.stderr
    [row] = [r for r in engine.query(run.trace, WAITS) if "Process@" in r["name"]]
    assert row["name"] == "waiting at exit for Process@leave.py:3 (left) to end", row
    assert row["outcome"] == "exited" and row["releaser"] == "MainThread of left", row
    assert 0.2e9 <= row["dur"] <= 2e9, row


@pytest.mark.parametrize("mode", ("full", "light"))
def test_mp_wait_tracebacks_are_unchanged(mode: str, tmp_path: Path) -> None:
    expected, got = compare("tracebacks_mp_waits.py", mode, tmp_path)
    assert expected.count("Traceback (most recent call last)") >= 8
    assert "EOFError" in expected and "ValueError: bad 1" in expected
    if sys.version_info >= (3, 11):
        assert got == expected
        return
    assert len(OWN_ENTRY.findall(got)) <= got.count("Traceback (most recent"), got
    assert OWN_ENTRY.sub("", got) == expected


def test_pipe_is_pickled_as_without_us(tmp_path: Path) -> None:
    """A pickled end carries its identity as a str attribute of the DupFd: no reference
    to concurtrace (an untraced interpreter loads it), and the rebuilt end works."""
    script = tmp_path / "pickled.py"
    script.write_text(
        "import multiprocessing as mp, pickle\n"
        "from multiprocessing.reduction import ForkingPickler\n"
        "a, b = mp.Pipe()\n"
        "data = bytes(ForkingPickler.dumps(b))\n"
        "c = pickle.loads(data)\n"
        "c.send('through the copy')\n"
        "print(b'concurtrace.' in data, a.recv(), type(c).__name__)\n")
    plain = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                           timeout=30)
    run = trace_run(tmp_path / "t.pftrace", str(script))
    assert run.returncode == plain.returncode == 0, run.stderr
    assert run.stdout == plain.stdout == "False through the copy Connection\n"
    assert re.search(r"Traceback", run.stderr) is None


@pytest.mark.parametrize("method", METHODS)
def test_pool_results_name_the_worker(method: str, tmp_path: Path) -> None:
    """The Event@pool.py / Condition@pool.py waits (before) are AsyncResult waits at the
    program's own calls (imap's next() too),
    each ended by the pool worker process that put the last result it waited for."""
    script = SCRIPTS / "mp_pool_results.py"
    run = trace_run(tmp_path / "t.pftrace", str(script), method)
    assert run.returncode == 0, run.stderr
    assert run.stdout == "[1, 4, 9]\n4\ntimeout\n9\n[4, 1]\n"
    rows = [r for r in engine.query(run.trace, WAITS) if "AsyncResult@" in r["name"]]
    at = {what: _line(script, what) for what in ("pool.map(", "pool.apply(", "pool.imap(")}
    asked = _line(script, "pool.apply_async(")
    worker = r"MainThread of \w+PoolWorker-[12]"
    expected = [(f"AsyncResult@mp_pool_results.py:{at['pool.map(']} (map)", "completed"),
                (f"AsyncResult@mp_pool_results.py:{at['pool.apply(']} (apply)", "completed"),
                (f"AsyncResult@mp_pool_results.py:{asked} (apply_async)", "timed_out"),
                (f"AsyncResult@mp_pool_results.py:{asked} (apply_async)", "completed"),
                (f"AsyncResult@mp_pool_results.py:{at['pool.imap(']} (imap)", "got_item")]
    assert [(r["name"], r["outcome"]) for r in rows] == [
        (f"waiting for the result of {label}", outcome) for label, outcome in expected], rows
    for row in rows:
        if row["outcome"] != "timed_out":
            assert re.fullmatch(worker, str(row["releaser"])), row
        else:
            assert row["releaser"] is None, row
    assert not [r for r in engine.query(run.trace, WAITS)
                if "Event@pool.py" in r["name"] or "Condition@pool.py" in r["name"]]
    flows = [f for f in engine.query(run.trace, CROSS_FLOWS) if "AsyncResult@" in f["src"]]
    assert len(flows) == 4 and all(f["src_upid"] != f["dst_upid"] for f in flows), flows
    assert all(f["src"].startswith("completed AsyncResult@") for f in flows), flows


def test_thread_pool_results_credit_the_result_handler(tmp_path: Path) -> None:
    """A ThreadPool's workers are threads that no result signal names: the wait is
    credited to the pool's result handler thread that handed the result over."""
    script = tmp_path / "threads.py"
    script.write_text("from multiprocessing.pool import ThreadPool\n"
                      "import time\n"
                      "def f(x):\n"
                      "    time.sleep(0.05)\n"
                      "    return x + 1\n"
                      "with ThreadPool(2) as pool:\n"
                      "    print(pool.map(f, range(4)), list(pool.imap(f, range(3))))\n")
    run = trace_run(tmp_path / "t.pftrace", str(script))
    assert run.returncode == 0, run.stderr
    assert run.stdout == "[1, 2, 3, 4] [1, 2, 3]\n"
    rows = [r for r in engine.query(run.trace, WAITS) if "AsyncResult@" in r["name"]]
    assert [r["name"] for r in rows][:2] == [
        "waiting for the result of AsyncResult@threads.py:7 (map)",
        "waiting for the result of AsyncResult@threads.py:7 (imap)"], rows
    assert all(re.fullmatch(r"Thread-\d+ \(_handle_results\)", str(r["releaser"]))
               for r in rows), rows
