"""Patterns of real asyncio programs (aiosqlite, websockets, httpx + uvicorn, redis-py,
pytest-asyncio, uvloop) reproduced in small scripts: what concurtrace changed or showed
wrong on them (bench/README.md, "Real programs, round 6 (rp6async)")."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import engine
import pytest
from traced import SCRIPTS, plain_run, runs_as_plain, trace_run


def test_threads_started_under_full_mode_keep_their_default_names(tmp_path: Path) -> None:
    """3.12+ full mode: VizTracer's first event in each new thread made threading create a
    _DummyThread, whose "Dummy-N" took a number from the program's own "Thread-N" counter:
    after one to_thread and asyncio.run's executor shutdown the next Thread was named
    "Thread-5" (plain: "Thread-3"). runs_as_plain compares the output of both modes."""
    script = SCRIPTS / "thread_default_names.py"
    plain = plain_run(script, tmp_path)
    assert plain.returncode == 0 and plain.stdout.splitlines()[-1] == "Thread-3 (<lambda>)", \
        plain
    for _, summary in runs_as_plain(script, tmp_path, plain):
        names = sorted(t["name"] for t in summary["threads"])
        assert names == ["MainThread", "Thread-1 (<lambda>)", "Thread-2 (_do_shutdown)",
                         "asyncio_0"], names


def test_a_task_made_under_run_forever_is_not_the_main_task(tmp_path: Path) -> None:
    """uvloop (uvicorn's requests, asyncio.start_server's handlers): a task created a few
    frames under Runner.run / run_until_complete was recorded as asyncio.run's main task,
    so one still pending when main() returned (asyncio.run cancelled it) got no
    task_pending_at_exit and was not in the loop's pending_at_exit."""
    script = SCRIPTS / "asyncio_task_from_run_forever.py"
    plain = plain_run(script, tmp_path)
    assert (plain.returncode, plain.stdout) == (0, "main returns\nhelper cancelled\n"), plain
    for _, summary in runs_as_plain(script, tmp_path, plain):
        [row] = summary["asyncio"]["loops"]
        assert row["pending_at_exit"] == ["helper (helper)"], row
        [finding] = [f for f in summary["findings"] if f["kind"] == "task_pending_at_exit"]
        assert finding["message"].startswith("Task 'helper (helper)' on MainThread of "
                                             "MainProcess was still pending when the main "
                                             "coroutine returned"), finding


def test_uvloop_task_steps_are_in_the_function_trace(tmp_path: Path) -> None:
    """uvloop, full mode: each task step ran under our timing closure (our own frame, which
    VizTracer excludes with its whole subtree), so no call of any coroutine step was traced:
    a 150 ms time.sleep in a step read "loop blocked 150 ms by a step of Task child-2", the
    function named nowhere."""
    pytest.importorskip("uvloop")
    run = trace_run(tmp_path / "t.pftrace", str(SCRIPTS / "asyncio_uvloop.py"))
    assert run.returncode == 0, run.stderr
    [loop] = run.summary()["asyncio"]["loops"]
    [block] = loop["blocks"]
    assert block["culprit"] == "child() (asyncio_uvloop.py:14), calling time.sleep", block


def test_a_pure_python_loop_block_names_no_call_above_it(tmp_path: Path) -> None:
    """httpx.AsyncClient() blocked the loop 229 ms in AsyncHTTPTransport.__init__ (an import,
    an SSL context), read "by AsyncHTTPTransport.__init__() (default.py:280), calling
    _contextvars.Context.run": the builtin named was the step's caller, not a callee."""
    script = SCRIPTS / "asyncio_busy_step.py"
    run = trace_run(tmp_path / "t.pftrace", str(script))
    assert (run.returncode, run.stdout) == (0, "crunched True\n"), run.stderr
    [loop] = run.summary()["asyncio"]["loops"]
    [block] = loop["blocks"]
    assert block["culprit"] == "crunch() (asyncio_busy_step.py:10)", block
    assert not any("Context.run" in call for call in block["calls"]), block


def test_a_task_pending_when_main_raised_says_main_raised(tmp_path: Path) -> None:
    """redis-py's pool raised MaxConnectionsError out of main()'s gather; the ten tasks
    asyncio.run then cancelled read "still pending when the main coroutine returned"."""
    script = SCRIPTS / "asyncio_main_raises.py"
    plain = plain_run(script, tmp_path)
    assert (plain.returncode, plain.stdout) == (0, "main raised no connection\n"), plain
    for _, summary in runs_as_plain(script, tmp_path, plain):
        [finding] = [f for f in summary["findings"] if f["kind"] == "task_pending_at_exit"]
        assert "still pending when the main coroutine raised LookupError (asyncio.run " \
               "cancelled it)" in finding["message"], finding


RENAMES_ITSELF = """
import sys, threading
go = threading.Event()
def run():
    go.wait()
    with open(f"/proc/self/task/{threading.get_native_id()}/comm", "w") as comm:
        comm.write("libuv-worker")
    print("renamed", flush=True)
    threading.Event().wait(30)
threading.Thread(target=run, daemon=True).start()
print("started", flush=True)
sys.stdin.readline(); go.set(); sys.stdin.readline()
"""


def test_a_thread_that_names_itself_after_it_starts_is_seen_by_that_name() -> None:
    """uvicorn on uvloop: one of libuv's four pool threads read "python ... ended
    (untraced)", the others "libuv-worker": a C thread's comm was read once, when the
    sampler found it, and libuv names its threads right after they start."""
    from concurtrace.sampler.procfs import FdOpener
    from concurtrace.sampler.tracking import RENAME_NS, Tracker

    child = subprocess.Popen([sys.executable, "-c", RENAMES_ITSELF], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, text=True)
    assert child.stdin is not None and child.stdout is not None
    try:
        assert child.stdout.readline() == "started\n"
        tracker = Tracker(0, FdOpener(), states=False)
        tracker._add_process(child.pid, tracker_stat(child.pid), 1)  # noqa: SLF001
        proc = tracker.procs[child.pid]
        tracker.discover_threads(proc, 1)
        [thread] = [t for t in proc.threads.values() if t.info.tid != child.pid]
        assert thread.info.comm != "libuv-worker"
        child.stdin.write("go\n")
        child.stdin.flush()
        assert child.stdout.readline() == "renamed\n"
        tracker.discover_threads(proc, 2)  # found just now: not read again yet
        assert thread.info.comm != "libuv-worker"
        tracker.discover_threads(proc, 1 + RENAME_NS)
        assert thread.info.comm == "libuv-worker"
    finally:
        child.kill()
        child.wait()


def tracker_stat(pid: int) -> Any:
    from concurtrace.sampler.procfs import parse_stat

    with open(f"/proc/{pid}/stat", "rb") as stat:
        return parse_stat(stat.read())


def test_a_loop_whose_timers_never_lagged_still_shows_its_ready_queue() -> None:
    """redis-py: 195 tasks, up to 19 ready at once, no timer ever due (its timeouts were
    all cancelled): the loop line showed no ready queue, as it did only beside a lag."""
    from concurtrace.report.asyncio_section import _loop_line

    row = {"thread": "MainThread of MainProcess", "tasks_created": 195, "steps": 494,
           "outcomes": {"result": 195}, "peak_concurrent": 61, "max_lag_ns": 0,
           "max_ready": 19}
    assert _loop_line(row).plain.endswith("494 steps; ready queue up to 19")
    row["max_lag_ns"] = 7_000_000
    assert _loop_line(row).plain.endswith("; worst timer lag 7 ms, ready queue up to 19")
    row["max_ready"] = 0
    assert _loop_line(row).plain.endswith("494 steps; worst timer lag 7 ms")


def test_uvloop_to_thread_is_an_executor_call_with_its_flows(tmp_path: Path) -> None:
    """uvloop's run_in_executor is its own (Cython), not BaseEventLoop's: to_thread's
    call had no "uvloop_0 executor calls" slice and no flow from the submitting step to it
    and back (the await was named to_thread, from its frame)."""
    pytest.importorskip("uvloop")
    run = trace_run(tmp_path / "t.pftrace", str(SCRIPTS / "asyncio_uvloop.py"),
                    options=("--quiet", "--light"))
    assert run.returncode == 0, run.stderr
    calls = engine.query(run.trace, "select t.name as track, s.name from slice s join track t "
                                    "on s.track_id = t.id where t.name like '% executor calls'")
    assert [(c["track"], c["name"]) for c in calls] == \
        [("uvloop_0 executor calls", "to_thread: sum")], calls
    flows = engine.query(run.trace, "select so.name as src, si.name as dst from flow f join "
                                    "slice so on f.slice_out = so.id join slice si on "
                                    "f.slice_in = si.id where so.name = 'to_thread: sum' or "
                                    "si.name = 'to_thread: sum'")
    assert sorted((f["src"], f["dst"]) for f in flows) == \
        [("running", "to_thread: sum"), ("to_thread: sum", "running")], flows


def test_a_task_asyncio_made_in_a_callback_is_created_in_asyncio(tmp_path: Path) -> None:
    """A stream handler (websockets', uvicorn's on uvloop) pending at exit read "created at
    <the line that called asyncio.run>": the walk out of asyncio's frames went on through
    the loop itself. It is asyncio's streams.py line, and the main task's is still the
    program's asyncio.run line."""
    script = SCRIPTS / "asyncio_handler_pending.py"
    plain = plain_run(script, tmp_path)
    assert (plain.returncode, plain.stdout) == (0, "main returns\n"), plain
    for _, summary in runs_as_plain(script, tmp_path, plain):
        [finding] = [f for f in summary["findings"] if f["kind"] == "task_pending_at_exit"]
        assert "'Task-4 (handle)'" in finding["message"], finding
        assert "; created at streams.py:" in finding["message"], finding
    rows = engine.query(tmp_path / "t.pftrace",
                        "select t.name as track, extract_arg(s.arg_set_id, "
                        "'debug.created_at') as site from slice s join track t on "
                        "s.track_id = t.id where s.name = 'scheduled'")
    sites = {row["track"]: row["site"] for row in rows}
    assert sites["task Task-1 (main)"].endswith("asyncio_handler_pending.py:21"), sites


@pytest.mark.skipif(sys.version_info < (3, 12), reason="eager tasks are 3.12+")
def test_an_eager_task_that_yields_at_once_shows_its_first_step(tmp_path: Path) -> None:
    """A TaskGroup's tasks under eager_task_factory: one that awaited asyncio.sleep(0)
    first read "scheduled", then one "running", its eager first step lost; on 3.12 an
    eager task given a name by create_task(name=...) kept its "Task-N" track."""
    script = SCRIPTS / "asyncio_eager_yield.py"
    plain = plain_run(script, tmp_path)
    assert (plain.returncode, plain.stdout) == \
        (0, "done at once: False\nresult: 1\nresult: 2\n"), plain
    for _, _summary in runs_as_plain(script, tmp_path, plain):
        for track in ("task tick (tick)", "task waits (waits)"):
            rows = engine.query(tmp_path / "t.pftrace",
                                "select s.name from slice s join track t on s.track_id = "
                                f"t.id where t.name = '{track}' order by s.ts")
            assert [r["name"] for r in rows] == \
                ["running", "awaiting asyncio.sleep", "running"], (track, rows)


def test_a_task_the_loop_made_from_a_callback_has_no_program_line(tmp_path: Path) -> None:
    """loop.call_soon_threadsafe(loop.create_task, coro) from a thread: its pending finding
    said "created at <the asyncio.run line>", its creator "callback
    BaseEventLoop.create_task (hooks_asyncio.py:107)", our hook's file and line."""
    script = SCRIPTS / "asyncio_task_from_thread.py"
    plain = plain_run(script, tmp_path)
    assert (plain.returncode, plain.stdout) == (0, "main returns\njob cancelled\n"), plain
    for _, summary in runs_as_plain(script, tmp_path, plain):
        [finding] = [f for f in summary["findings"] if f["kind"] == "task_pending_at_exit"]
        assert "created at" not in finding["message"], finding
        rows = engine.query(tmp_path / "t.pftrace",
                            "select extract_arg(s.arg_set_id, 'debug.created_by') as by "
                            "from slice s join track t on s.track_id = t.id "
                            "where s.name = 'scheduled' and t.name = 'task Task-2 (job)'")
        [row] = rows
        assert row["by"].startswith("callback BaseEventLoop.create_task (base_events.py:"), row
