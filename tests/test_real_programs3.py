"""Patterns of real third-party programs (gevent's monkey patching, trio's thread cache,
...) reproduced in small scripts: what concurtrace changed or showed wrong on them
(bench/README.md, "Real programs, round 3")."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from traced import SCRIPTS, concurtrace, plain_run, runs_as_plain, summary_json


def test_green_threads_are_not_threads(tmp_path: Path) -> None:
    """gevent's monkey.patch_all() makes each threading.Thread a greenlet on the thread that
    starts it: the main thread's row read 'consumer ... returned' (the last green thread's
    name and end, recorded with the main thread's tid) and joins read as waited by it."""
    pytest.importorskip("gevent")
    script = SCRIPTS / "green_threads.py"
    plain = plain_run(script, tmp_path)
    assert (plain.returncode, plain.stdout) == (0, "10 MainThread\n"), plain.stderr
    for mode in ((), ("--light",)):
        trace = tmp_path / "t.pftrace"
        run = concurtrace("run", "--quiet", *mode, "-o", str(trace), "--force", str(script),
                          cwd=tmp_path)
        assert (run.returncode, run.stdout) == (0, plain.stdout), run.stderr
        summary = summary_json(trace)
        rows = [(t["name"], t["end_reason"]) for t in summary["threads"]
                if t["pid"] == summary["root_pid"]]
        assert rows == [("MainThread", "process_exit")], (mode, rows)
        joins = [o for o in summary["sync"]["objects"] if o["kind"] == "Thread"]
        assert all(o["waiters"] == ["MainThread"] for o in joins), joins
        # VizTracer loses its call stack at a greenlet switch (as without us): told so
        stopped = [n for n in summary["notes"] if "Unexpected function return" in n]
        assert all("greenlet" in n for n in stopped), stopped
        if not mode and "Unexpected function return" in run.stderr:
            assert stopped, summary["notes"]


def test_a_lock_its_waiter_holds_is_a_signal_not_contention(tmp_path: Path) -> None:
    """trio's thread cache hands a job to its idle worker by releasing a Lock the worker
    holds itself: 'Thread 'Trio thread 0' waited 67% of its life for Lock@_thread_cache.py:152
    ... each holder kept it 302 ms. Hold it for less time' (the holder was the waiter)."""
    trace = tmp_path / "t.pftrace"
    run = concurtrace("run", "--quiet", "--light", "-o", str(trace), "--force",
                      str(SCRIPTS / "lock_handoff.py"), cwd=tmp_path)
    assert (run.returncode, run.stdout) == (0, "idle worker left\n"), run.stderr
    summary = summary_json(trace)
    [row] = [o for o in summary["sync"]["objects"] if o["label"].startswith("Lock@")]
    assert row["open_waits"] == 1 and row["waiters"] == ["cache worker"], row
    kinds = [f["kind"] for f in summary["findings"]]
    assert "lock_contention" not in kinds, summary["findings"]


def test_full_mode_does_not_import_trio_for_the_program(tmp_path: Path) -> None:
    """VizTracer's C module imports trio when it is installed: in full mode every traced
    process had trio in sys.modules, and trio's import ran `ldconfig -p`, which the
    process tree showed as the program's child."""
    pytest.importorskip("trio")
    trace = tmp_path / "t.pftrace"
    code = "import sys; print('trio' in sys.modules); import trio; print(trio.run is not None)"
    run = concurtrace("run", "--quiet", "-o", str(trace), "--force", "-c", code, cwd=tmp_path)
    assert (run.returncode, run.stdout) == (0, "False\nTrue\n"), run.stderr


def test_a_live_threads_stack_has_none_of_our_frames(tmp_path: Path) -> None:
    """pytest-timeout's thread method prints every thread's stack on a hang (format_stack of
    sys._current_frames()): a thread in Event.wait showed 6 lines of our hooks' frames
    (own_frames.clean, hooks_sync.event_wait, hooks_sync_records.whole_wait, ...)."""
    script = SCRIPTS / "dump_thread_stacks.py"
    plain = plain_run(script, tmp_path)
    assert plain.returncode == 0 and "in waiter" in plain.stdout, plain.stderr
    for _ in runs_as_plain(script, tmp_path, plain):
        pass


def test_a_class_that_keeps_threading_lock_as_an_attribute(tmp_path: Path) -> None:
    """werkzeug's Map (`lock_class = threading.Lock`, `self.lock_class()`): our Lock hook,
    a Python function, was bound as a method: Flask's app died at `Flask(__name__)` with
    'TypeError: _thread.allocate_lock() takes no arguments (1 given)'."""
    script = SCRIPTS / "lock_class_attribute.py"
    plain = plain_run(script, tmp_path)
    assert plain.returncode == 0 and plain.stdout.startswith("locked\nTrue "), plain.stderr
    for _ in runs_as_plain(script, tmp_path, plain):
        pass


def test_a_thread_of_thread_module_alive_at_exit_is_abandoned(tmp_path: Path) -> None:
    """CPython's test_thread leaves _thread.start_new_thread threads running at exit: their
    rows read 'ended (untraced)' (no end recorded, as for a thread of C code) because the
    exit's list of live threads had no native tid for a thread threading does not know."""
    script = SCRIPTS / "raw_thread_alive.py"
    plain = plain_run(script, tmp_path)
    assert (plain.returncode, plain.stdout) == (0, "main done\n"), plain.stderr
    for mode, summary in runs_as_plain(script, tmp_path, plain):
        [raw] = [t for t in summary["threads"] if t["name"] == "_thread (spin)"]
        assert (raw["end_reason"], raw["daemon"]) == ("abandoned", True), (mode, raw)
        assert any("spin" in str(frame) for frame in raw["stack"]), raw["stack"]
        [finding] = [f for f in summary["findings"] if f["kind"] == "daemon_thread_abandoned"]
        assert finding["tid"] == raw["tid"] and "_thread" in finding["advice"], finding


def test_an_idle_worker_of_a_library_left_at_exit_is_no_finding(tmp_path: Path) -> None:
    """trio's thread cache leaves its idle daemon workers at exit: 'Daemon thread 'Trio
    thread 0' was abandoned ... Stop it with a threading.Event and join() it' is advice the
    program cannot follow, for a thread that lost nothing. The row still says it; the
    program's own daemon thread, busy at exit, keeps its finding."""
    script = SCRIPTS / "idle_library_worker.py"
    plain = plain_run(script, tmp_path)
    assert (plain.returncode, plain.stdout) == (0, "main done\n"), plain.stderr
    for _, summary in runs_as_plain(script, tmp_path, plain):
        ends = {t["name"]: t["end_reason"] for t in summary["threads"]}
        listener = [name for name in ends if name not in ("MainThread", "cruncher")]
        assert len(listener) == 1 and ends[listener[0]] == "abandoned", ends
        assert ends["cruncher"] == "abandoned", ends
        told = [f["message"] for f in summary["findings"]
                if f["kind"] == "daemon_thread_abandoned"]
        assert len(told) == 1 and "cruncher" in told[0], told


@pytest.mark.parametrize("into", ["python", "python-env", "sh"])
def test_an_exec_ends_the_image_and_its_threads(tmp_path: Path, into: str) -> None:
    """A CLI that re-execs itself (or execs a shell): the process's other threads read
    'ended (untraced)', nothing said the pid became another program, and the sleep that sh
    started and waited for read 'never joined or waited for by MainProcess'."""
    script = SCRIPTS / "exec_into.py"
    plain = plain_run(script, tmp_path, into)
    assert plain.stdout == "before exec\nafter exec\n", plain.stderr
    for _, summary in runs_as_plain(script, tmp_path, plain, into):
        [root] = [p for p in summary["processes"] if p["pid"] == summary["root_pid"]]
        [done] = root["execs"]
        assert done["argv"][-1].endswith("exit 7" if into == "sh" else "print('after exec')")
        assert done["traced"] is (into != "sh"), done
        [sleeper] = [t for t in summary["threads"] if t["name"] == "sleeper"]
        assert sleeper["end_reason"] == "exec", sleeper
        kinds = [f["kind"] for f in summary["findings"]]
        assert "child_not_joined" not in kinds and "daemon_thread_abandoned" not in kinds, kinds
        if into == "sh":
            [sleep] = [p for p in summary["processes"] if p["ppid"] == root["pid"]]
            assert (sleep["joined"], sleep["traced"]) == (None, False), sleep


@pytest.mark.parametrize("how", ["closerange", "close"])
def test_a_program_that_closes_every_fd_gets_none_of_our_records(tmp_path: Path,
                                                                  how: str) -> None:
    """python-daemon's DaemonContext closes every fd above 2: our record file's fd (400)
    was closed with them, and the 398th file the program opened next got that number and
    our records ('{"ev":"thread_start",...}' in the program's own file)."""
    script = SCRIPTS / "closes_every_fd.py"
    plain = plain_run(script, tmp_path, how)
    assert plain.stdout == "files with bytes we did not write: []\n", plain.stderr
    for mode, summary in runs_as_plain(script, tmp_path, plain, how):
        [worker] = [t for t in summary["threads"] if t["name"] == "after-close"]
        assert worker["end_reason"] == "return", (mode, worker)


def test_the_programs_own_profiler_runs_and_the_trace_says_where_it_stops(
        tmp_path: Path) -> None:
    """`python -m cProfile app.py` under full mode died on 3.12+ ('ValueError: Another
    profiling tool is already active': VizTracer held sys.monitoring's profiler id). The
    program's profiler now gets its place and the summary tells which calls are missing."""
    script = SCRIPTS / "profiles_itself.py"
    plain = plain_run(script, tmp_path)
    assert (plain.returncode, plain.stdout) == (0, "profiled True\n"), plain.stderr
    trace = tmp_path / "t.pftrace"
    run = concurtrace("run", "--quiet", "-o", str(trace), "--force", str(script), cwd=tmp_path)
    assert (run.returncode, run.stdout) == (0, plain.stdout), run.stderr
    [note] = [n for n in summary_json(trace)["notes"] if "profiler of its own" in n]
    assert "(cProfile)" in note and ("whole process" if sys.version_info >= (3, 12)
                                     else "in thread") in note, note
    module = concurtrace("run", "--quiet", "-o", str(trace), "--force", "-m", "cProfile",
                         "-s", "ncalls", str(SCRIPTS / "raw_thread_alive.py"), cwd=tmp_path)
    assert module.returncode == 0 and "function calls" in module.stdout, module.stderr


def test_threading_lock_cannot_be_subclassed_as_without_us(tmp_path: Path) -> None:
    """CPython 3.13's test_threading (test_lock_no_subclass) failed under concurtrace: our
    threading.Lock type took a subclass; on 3.10-3.12 the error was our hook's own
    ('_Unbound.__init__() takes 3 positional arguments but 4 were given')."""
    script = SCRIPTS / "subclass_lock.py"
    plain = plain_run(script, tmp_path)
    assert plain.returncode == 0 and plain.stdout.count("TypeError") == 2, plain.stdout
    for _ in runs_as_plain(script, tmp_path, plain):
        pass


def test_calls_through_our_hooks_take_any_argument_as_without_us(tmp_path: Path) -> None:
    """CPython 3.13's test_concurrent_futures and test_signal failed under concurtrace:
    'ProcessPoolExecutor.submit() got multiple values for argument self', and signal.signal
    took a repr of the program's handler (our enum conversion of a non-int)."""
    script = SCRIPTS / "hooked_call_edges.py"
    plain = plain_run(script, tmp_path)
    told = "reprs 0" if sys.version_info >= (3, 13) else "reprs 1"  # gh-112559, fixed in 3.13
    assert (plain.returncode, plain.stdout) == (0, f"3\n{told}\n"), plain.stderr
    for _ in runs_as_plain(script, tmp_path, plain):
        pass
