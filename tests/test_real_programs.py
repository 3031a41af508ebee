"""Patterns of real third-party programs (CPython's test suite, pytest-xdist, joblib,
gunicorn, aiohttp) reproduced in small scripts: what concurtrace showed wrong on them."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

from traced import SCRIPTS, line_of, start_detached, summary_json, trace_run

from concurtrace.runner.sigwatch import HANDLING
from concurtrace.runner.watchdog import SignalWatchdog, Watched


def test_stdlib_copies_and_thread_start_label_truly(tmp_path: Path) -> None:
    """Objects a fresh copy of queue makes are labelled where the program made the queue
    (they read "Condition@?" before), and its Queue's waits are the queue's; Thread.start's
    own Event wait is not the program's (it was listed as "Event@? (t._started)" since the
    hooks got a clean_raise frame);
    type(lock)() answers as the C type does (it was our wrapper's missing-argument error)."""
    script = SCRIPTS / "stdlib_test_patterns.py"
    plain = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                           timeout=60, cwd=tmp_path)
    run = trace_run(tmp_path / "t.pftrace", str(script), cwd=tmp_path)
    assert run.returncode == plain.returncode == 0, run.stderr
    assert run.stdout == plain.stdout
    assert run.stdout.endswith("done\n")
    objects = run.summary()["sync"]["objects"]
    labels = [o["label"] for o in objects]
    assert not [label for label in labels if "@?" in label], labels
    assert not [o for o in objects if o["kind"] == "Event"], labels
    # The copy's Queue.get (unhooked: the copy is no import) waits on its Condition: that
    # is the queue's wait, ended by the put (it read 'Condition@...:29 (jobs.not_empty)').
    made = line_of(script, "jobs = py_queue.Queue()")
    [jobs] = [o for o in objects if o["label"] == f"Queue@stdlib_test_patterns.py:{made} (jobs)"]
    assert jobs["waits"] == 4 and jobs["ended_by"] == [{"thread": "MainThread", "waits": 4}]
    assert not [o for o in objects if o["kind"] == "Condition"], labels
    simple = line_of(script, "simple = py_queue._PySimpleQueue()")
    assert any(label.startswith(f"Semaphore@stdlib_test_patterns.py:{simple}")
               for label in labels), labels
    # A Semaphore's inner lock is named the way to it (it was unnamed: 'Lock@test_queue.py:424');
    # a package's __init__.py is named with its package (it read 'RLock@__init__.py:226').
    sem = line_of(script, "sem = threading.Semaphore(0)")
    assert f"Lock@stdlib_test_patterns.py:{sem} (sem._cond._lock)" in labels, labels
    assert any(label.startswith("RLock@logging/__init__.py:") for label in labels), labels


def test_a_loop_per_test_shows_the_telling_loops(tmp_path: Path) -> None:
    """The asyncio section of a run with a loop per test lists the few telling loops (the
    blocked one always) and counts the rest; it printed every loop (1009 lines for
    test_asyncio.test_tasks)."""
    run = trace_run(tmp_path / "t.pftrace", str(SCRIPTS / "many_loops.py"), options=(),
                    cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert run.stdout == "190\n"
    section = run.stderr.split("\nasyncio\n", 1)[1].split("\nFindings", 1)[0]
    assert section.count("  loop on ") == 8, section
    assert "loop blocked 1" in section, section  # about 150 ms, by case
    assert "… 12 more loops (" in section and "none blocked" in section, section


def test_a_worker_killed_during_the_exit_save_is_told(tmp_path: Path) -> None:
    """A worker killed by its impatient parent after its program was done, while full mode
    was saving its function trace (xdist's workers under `pytest -n 2`): the finding says so
    and how to avoid it; it read "Expected if you stopped it on purpose". --light does not
    delay the exit: the worker exits on its own, as without concurtrace."""
    script = str(SCRIPTS / "killed_while_exiting.py")
    run = trace_run(tmp_path / "t.pftrace", script, "0.1", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    # Its save of 1M entries (the ring buffer's size) takes 500+ ms; the parent waits 100.
    assert run.stdout == "done 1000000\nworker killed -9\n", run.stderr
    summary = run.summary()
    [worker] = [p for p in summary["processes"] if p["pid"] != summary["root_pid"]]
    [told] = [f for f in summary["findings"] if f["pid"] == worker["pid"]]
    assert "after its program had finished and begun to exit" in told["message"], told
    assert "--light" in told["advice"], told
    light = trace_run(tmp_path / "l.pftrace", script, "2", options=("--quiet", "--light"),
                      cwd=tmp_path)
    assert light.stdout == "done 1000000\nworker exited 0\n", light.stderr


def test_a_handled_sigterm_from_outside_is_told(tmp_path: Path) -> None:
    """gunicorn stopped with `kill -TERM master`: the master handles the SIGTERM and exits 0.
    Its row says it outlived a SIGTERM from outside the tree (it said nothing: no traced
    process sent it); its worker's SIGTERM is still credited to the master, once."""
    out = tmp_path / "t.pftrace"
    script = str(SCRIPTS / "server_stopped_from_outside.py")
    tracer = start_detached([sys.executable, "-m", "concurtrace", "run", "--light", "-o",
                             str(out), "--force", script])
    assert tracer.stdout is not None
    line = tracer.stdout.readline()
    assert line.startswith("serving "), line + tracer.communicate(timeout=60)[1]
    os.kill(int(line.split()[1]), signal.SIGTERM)
    stdout, stderr = tracer.communicate(timeout=60)
    assert tracer.returncode == 0, stderr
    assert stdout == "worker exited 0\n"
    summary = summary_json(out)
    rows = {p["pid"]: p for p in summary["processes"]}
    master = rows[summary["root_pid"]]
    [worker] = [p for pid, p in rows.items() if pid != summary["root_pid"]]
    assert master["exit_code"] == 0 and worker["exit_code"] == 0
    assert master["handled_signal"] is not None, master
    assert (master["handled_signal"]["signal"], master["handled_signal"]["pid"],
            master["handled_signal"]["reason"]) == ("SIGTERM", None, "external")
    assert worker["handled_signal"]["pid"] == master["pid"], worker
    assert "exit 0 after SIGTERM from outside the traced tree (handled)" \
        in " ".join(stderr.split()), stderr


def test_alike_findings_of_same_named_processes_are_one_line(tmp_path: Path) -> None:
    """Five forks, all 'MainProcess (fork)', calling os._exit: one finding line that counts
    them (test_threading printed 15 alike lines, then '… 38 more findings')."""
    run = trace_run(tmp_path / "t.pftrace", str(SCRIPTS / "forks_that_exit.py"), options=(),
                    cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    findings = " ".join(run.stderr.split("\nFindings\n", 1)[1].split())
    assert "• 5 processes 'MainProcess (fork)' ended with an error or a signal. " \
        "For example: MainProcess (fork) called os._exit(50)." in findings, findings
    assert findings.count("called os._exit") == 1, findings  # (a loaded machine adds GIL ones)
    assert len([f for f in run.summary()["findings"] if f["kind"] == "nonzero_exit"]) == 5


def test_a_signal_read_late_is_not_sent_again_into_the_exit(tmp_path: Path) -> None:
    """The watchdog reads a SIGTERM's byte late, after the program's own handler ran and its
    exit began (the pipe holds the signal, then the exit save's mark) and reset the handler
    to SIG_DFL: it waits for the save instead of sending SIGTERM again 0.2 s later, which
    killed an exiting process that had handled it (gunicorn-like graceful stops; seen once
    as test_a_handled_sigterm_keeps_its_sender_and_arrow's '-15' in a loaded full run)."""
    exiting = subprocess.Popen(["sleep", "30"])  # a process whose SIGTERM is SIG_DFL now
    read, write = os.pipe()
    try:
        watchdog = SignalWatchdog(tmp_path, save_bound_s=5.0)
        entry = Watched(pid=exiting.pid, pipe=read, pidfd=None)
        os.write(write, bytes([signal.SIGTERM, HANDLING]))
        os.set_blocking(read, False)
        watchdog._read(entry)
        assert entry.signum == signal.SIGTERM and entry.deadline
        watchdog._resend(entry)  # its deadline came
        assert watchdog.resent == [], "SIGTERM sent again into the exit"
        assert entry.saving and entry.deadline > time.monotonic() + 4
        time.sleep(0.05)
        assert exiting.poll() is None
    finally:
        exiting.kill()
        exiting.wait()
        os.close(read)
        os.close(write)


def test_a_python_without_viztracer_runs_as_without_us(tmp_path: Path) -> None:
    """A child run by another interpreter that has no viztracer (a bare venv here; a
    system python in real programs) inherits our sitecustomize: it printed "Error in
    sitecustomize ... No module named 'viztracer'" into the program's output. It runs
    untraced now, with lifecycle and states kept and a note that says why."""
    import venv

    venv.create(tmp_path / "bare", with_pip=False)
    bare = tmp_path / "bare" / "bin" / "python"
    script = tmp_path / "calls_bare.py"
    script.write_text(
        "import subprocess, sys\n"
        f"done = subprocess.run([{str(bare)!r}, '-c', "
        "'import sys; print(\"child\"); print(\"to stderr\", file=sys.stderr)'], "
        "capture_output=True, text=True)\n"
        "print(repr(done.stdout), repr(done.stderr), done.returncode)\n")
    plain = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                           timeout=60, cwd=tmp_path)
    run = trace_run(tmp_path / "t.pftrace", str(script), cwd=tmp_path)
    assert run.returncode == plain.returncode == 0, run.stderr
    assert run.stdout == plain.stdout == "'child\\n' 'to stderr\\n' 0\n"
    summary = run.summary()
    notes = [n for n in summary["notes"] if "function trace not started" in n]
    assert len(notes) == 1 and "No module named 'viztracer'" in notes[0], summary["notes"]
    # The child is still there, with its exit status.
    children = [p for p in summary["processes"] if p["pid"] != summary["processes"][0]["pid"]]
    assert [p["exit_code"] for p in children] == [0], children


def test_threads_seen_only_by_the_sampler_are_not_said_to_return(tmp_path: Path) -> None:
    """CPython's test_threading runs helpers with `python -I` (untraced): their threads,
    seen only by the sampler, read "returned" in the thread table though nothing recorded
    how they ended (their end_reason is null)."""
    run = trace_run(tmp_path / "t.pftrace", str(SCRIPTS / "untraced_child_threads.py"),
                    options=(), cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert run.stdout == "child done\n"
    [child] = [p for p in run.summary()["processes"] if not p["traced"]]
    table = run.stderr.split(f"(pid {child['pid']})\n", 1)[1].split("\n\n", 1)[0]
    assert table.count("ended (untraced)") == 3, table
    assert "returned" not in table, table
    assert all(t["end_reason"] is None for t in run.summary()["threads"]
               if t["pid"] == child["pid"] and not t["is_main"])


def test_sync_rows_say_whose_they_are_and_who_ended_them(tmp_path: Path) -> None:
    """pytest -n 2 listed three rows 'Event@gateway_base.py:175 (my_waitall_event)', one per
    process, with nothing to tell them apart; joblib's row of a pool worker's mp.Lock said
    'ended by 26705' (the releaser, a thread of another process, by its bare tid); an Event
    set by a threading.Timer (Timer(0.1, done.set)) named no one who ended the wait."""
    script = str(SCRIPTS / "mp_lock_two_processes.py")
    run = trace_run(tmp_path / "t.pftrace", script, options=("--light",), cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert run.stdout == "exit 0\n"
    summary = run.summary()
    objects = summary["sync"]["objects"]
    [lock] = [o for o in objects if o["kind"] == "mp.Lock"]
    assert lock["process"] == "ForkProcess-1", lock
    assert lock["ended_by"] == [{"thread": "MainThread of MainProcess", "waits": 1}], lock
    events = [o for o in objects if o["kind"] == "Event"]
    assert sorted(o["process"] for o in events) == ["ForkProcess-1", "MainProcess"], objects
    assert all(o["ended_by"] == [{"thread": "Thread-1", "waits": 1}] for o in events), events
    assert not [o for o in objects if "@?" in o["label"]], objects  # the Timer's own wait
    section = " ".join(run.stderr.split("\nSynchronization\n", 1)[1].split())
    for proc in summary["processes"]:
        assert f"(done) in {proc['name']} (pid {proc['pid']}): 1 wait" in section, section
    assert "ended by MainThread of MainProcess" in section, section


def test_a_kill_long_after_a_short_exit_save_is_not_blamed_on_it(tmp_path: Path) -> None:
    """joblib's multiprocessing backend terminate()s pool workers still exiting, with or
    without concurtrace; a worker killed 7 ms into its exit, of which the save took 2 ms,
    read 'Without concurtrace it had most likely exited by then'. Here the worker's own
    teardown (a slow __del__) outlasts its parent's patience: killed in plain runs too."""
    script = str(SCRIPTS / "slow_teardown_killed.py")
    plain = subprocess.run([sys.executable, script], capture_output=True, text=True,
                           timeout=60, cwd=tmp_path)
    run = trace_run(tmp_path / "t.pftrace", script, cwd=tmp_path)
    assert run.returncode == plain.returncode == 0, run.stderr
    assert run.stdout == plain.stdout == "done\nworker killed -9\n"
    summary = run.summary()
    [told] = [f for f in summary["findings"] if f["pid"] != summary["root_pid"]]
    assert "after its program had finished and begun to exit" in told["message"], told
    assert "most likely" not in told["advice"] and "--light" not in told["advice"], told


def test_a_tracer_stopped_by_a_coroutine_return_is_told(tmp_path: Path) -> None:
    """httpx and anyio on 3.11: VizTracer stops recording calls at a coroutine return whose
    call CPython never reported (its warning is the only sign, in the program's stderr);
    the trace then lacked every later call and nothing said so. The summary's notes say it
    now, only when it happened (never on 3.12+, where CPython reports the call)."""
    script = str(SCRIPTS / "coroutine_throw_return.py")
    plain = subprocess.run([sys.executable, script], capture_output=True, text=True,
                           timeout=60, cwd=tmp_path)
    run = trace_run(tmp_path / "t.pftrace", script, cwd=tmp_path)
    assert run.returncode == plain.returncode == 0, run.stderr
    assert run.stdout == plain.stdout == "5\n"
    # VizTracer's warning was in the program's stderr: it is ours, kept out now; the
    # program's own RuntimeWarning is shown as without us
    assert "Unexpected function return" not in run.stderr, run.stderr
    assert "RuntimeWarning: the program's own" in plain.stderr, plain.stderr
    assert run.stderr.startswith(plain.stderr), run.stderr
    notes = [n for n in run.summary()["notes"] if "VizTracer stopped tracing" in n]
    assert len(notes) == (sys.version_info[:2] == (3, 11)), run.summary()["notes"]
    clean = trace_run(tmp_path / "c.pftrace", str(SCRIPTS / "untraced_child_threads.py"),
                      cwd=tmp_path)
    assert not [n for n in clean.summary()["notes"] if "VizTracer stopped" in n]


def test_a_thread_stopped_in_a_recorded_wait_names_what_it_waited_for(tmp_path: Path) -> None:
    """A program hung on a Future (3.11's ProcessPoolExecutor with max_tasks_per_child
    does) and stopped by --timeout: its main thread 'was still waiting for a lock ...; threads
    still waiting for locks ... are often the sides of a deadlock', though the recorded,
    still open wait was for the result of a Future: it now says which, and gives the
    deadlock hint only for lock and join waits."""
    script = SCRIPTS / "future_never_done.py"
    run = trace_run(tmp_path / "t.pftrace", str(script),
                    options=("--quiet", "--light", "--timeout", "2"), cwd=tmp_path)
    assert run.returncode == 143, run.stderr
    assert run.stdout == "waiting\n"
    stopped = {f["tid"]: f for f in run.summary()["findings"] if f["kind"] == "thread_stopped"}
    main = stopped[run.summary()["root_pid"]]
    made = line_of(script, "fut = pool.submit")
    assert f"was still waiting for Future@future_never_done.py:{made} (fut) when the run " \
        "was stopped by --timeout" in main["message"], main
    assert len(stopped) == 2 and not [f for f in stopped.values()
                                      if "deadlock" in f["advice"]], stopped


def test_a_signal_a_process_raises_itself_after_handling_one_is_told(tmp_path: Path) -> None:
    """uvicorn --workers 2 stopped by SIGTERM: each worker handles its parent's SIGTERM,
    shuts down, then raises SIGTERM itself (signal.raise_signal) to die of it. The tree read
    'SIGTERM (terminate by MainProcess)' and the finding 'killed by ... a crash in C code or
    a signal from outside' (os.kill(os.getpid()) the same): the parent's send was handled."""
    script = str(SCRIPTS / "reraised_signal.py")
    for how, mode in (("raise", "--light"), ("kill", "--quiet")):
        plain = subprocess.run([sys.executable, script, how], capture_output=True, text=True,
                               timeout=60, cwd=tmp_path)
        run = trace_run(tmp_path / f"{how}.pftrace", script, how, options=(mode,),
                        cwd=tmp_path)
        assert run.returncode == plain.returncode == 0, run.stderr
        assert run.stdout == plain.stdout == "exit -15\n"
        summary = run.summary()
        [worker] = [p for p in summary["processes"] if p["name"] == "SpawnProcess-1"]
        assert worker["signal"] == "SIGTERM", worker
        assert worker["terminated_by"] == {"pid": worker["pid"], "reason": "raised"}, worker
        assert worker["handled_signal"] is not None, worker
        assert (worker["handled_signal"]["signal"], worker["handled_signal"]["pid"]) == \
            ("SIGTERM", summary["root_pid"]), worker
        [told] = [f for f in summary["findings"] if f["pid"] == worker["pid"]]
        assert "raised by itself once it had handled SIGTERM" in told["message"], told
        if mode == "--light":
            unwrapped = " ".join(run.stderr.replace("\u2502", " ").split())  # the tree's │
            assert "SIGTERM (raised by itself) after SIGTERM from MainProcess (handled)" in \
                unwrapped, run.stderr


def test_raise_signal_behaves_the_same_and_a_handled_one_is_from_itself(tmp_path: Path) -> None:
    """signal.raise_signal is hooked (to see a process raise its own signal): its errors,
    traceback and handlers are as without concurtrace; a raised signal the process handles
    reads 'after SIGUSR1 from itself (handled)'."""
    script = str(SCRIPTS / "raise_signal_semantics.py")
    plain = subprocess.run([sys.executable, script], capture_output=True, text=True,
                           timeout=60, cwd=tmp_path)
    for mode in ("--quiet", "--light"):
        run = trace_run(tmp_path / "t.pftrace", script, options=(mode, "--quiet"), cwd=tmp_path)
        assert (run.returncode, run.stdout) == (plain.returncode, plain.stdout), run.stderr
        program = "".join(line for line in run.stderr.splitlines(keepends=True)
                          if not line.startswith("concurtrace: "))
        if sys.version_info >= (3, 11):  # 3.10 keeps one frame of the hook (README, 3.10)
            assert program == plain.stderr
    [root] = run.summary()["processes"]
    assert root["handled_signal"]["signal"] == "SIGUSR1", root
    done = subprocess.run([sys.executable, "-m", "concurtrace", "summary",
                           str(tmp_path / "t.pftrace")], capture_output=True, text=True)
    assert "exit 0 after SIGUSR1 from itself (handled)" in done.stderr + done.stdout


def test_interrupt_main_is_a_signal_from_itself(tmp_path: Path) -> None:
    """CPython's test_threading calls _thread.interrupt_main(): its C side writes SIGINT into
    the wakeup pipe as a delivery does, and the root read 'exit 0 after SIGINT from outside
    the traced tree (handled)' though nothing outside sent one. It is the process's own now;
    an interrupt_main the handler ignores records nothing."""
    _raised_by_itself(tmp_path, "interrupt_main.py", "interrupted [10]\ndone\n", "SIGINT")


def test_a_pure_python_simple_queue_is_labelled_where_it_was_made(tmp_path: Path) -> None:
    """CPython's test_queue under --light: its SimpleQueue tests' Semaphore read
    'Semaphore@? (q._count)' and its inner lock 'Lock@? (q._count._cond._lock)' (made inside
    queue, whose _PySimpleQueue, unlike Queue, never passed its site down to them)."""
    script = SCRIPTS / "py_simple_queue.py"
    made = line_of(script, "simple = module._PySimpleQueue()")
    for mode in ("--light", "--quiet"):
        run = trace_run(tmp_path / "t.pftrace", str(script), options=(mode, "--quiet"),
                        cwd=tmp_path)
        assert run.returncode == 0, run.stderr
        assert run.stdout == "False 2\nTrue 2\n"
        objects = run.summary()["sync"]["objects"]
        labels = sorted(o["label"] for o in objects)
        assert not [label for label in labels if "@?" in label], labels
        assert f"Semaphore@py_simple_queue.py:{made} (simple._count)" in labels, labels
        [lock] = [o for o in objects if o["kind"] == "Lock"]
        assert lock["label"] == f"Lock@py_simple_queue.py:{made} (simple._count._cond._lock)"
        assert lock["instances"] == 2 and lock["waits"] == 2, lock


def test_alike_task_findings_of_one_thread_count_tasks(tmp_path: Path) -> None:
    """test_asyncio.test_tasks: 19 tasks left pending on its one main thread read '19 threads
    'MainThread' in MainProcess were still pending when their loop stopped: lifetime median
    35.28 s' (the thread's own lifetime, once per task). They are tasks, counted as tasks."""
    script = str(SCRIPTS / "pending_tasks.py")
    plain = subprocess.run([sys.executable, script], capture_output=True, text=True,
                           timeout=60, cwd=tmp_path)
    run = trace_run(tmp_path / "t.pftrace", script, options=("--light",), cwd=tmp_path)
    assert (run.returncode, run.stdout) == (plain.returncode, plain.stdout), run.stderr
    destroyed = "Task was destroyed but it is pending!"
    assert run.stderr.count(destroyed) == plain.stderr.count(destroyed) == 5, plain.stderr
    pending = [f for f in run.summary()["findings"] if f["kind"] == "task_pending_at_exit"]
    assert len(pending) == 5, run.summary()["findings"]
    findings = " ".join(run.stderr.split("\nFindings\n", 1)[1].split())
    assert "• 5 tasks on thread 'MainThread' in MainProcess were left pending. For example: " \
        "Task 'Task-1 (forever)' on MainThread of MainProcess was still pending" in findings, \
        findings
    assert "threads 'MainThread'" not in findings and "lifetime" not in findings, findings


def test_a_raising_thread_of_thread_module_reaches_the_hook_as_itself(tmp_path: Path) -> None:
    """CPython's test_thread (test_unraisable_exception) failed under concurtrace: the
    sys.unraisablehook of a program saw our wrapper of the function _thread ran, not the
    function ('<function task> is not <function task>'). The hook, its args and the default
    hook's output are as without concurtrace."""
    script = str(SCRIPTS / "thread_unraisable.py")
    plain = subprocess.run([sys.executable, script], capture_output=True, text=True,
                           timeout=60, cwd=tmp_path)
    # 3.13+: no object, the function's repr in the message (PyErr_FormatUnraisable)
    told = "False Exception ignored in thread started by <function task>" \
        if sys.version_info >= (3, 13) else "True Exception ignored in thread started by"
    assert re.sub(" at 0x[0-9a-f]+", "", plain.stdout).startswith(
        f"{told} UnraisableHookArgs ValueError('task failed')\n['task']\n"), plain.stdout
    for mode in ("--light", "--quiet"):
        run = trace_run(tmp_path / "t.pftrace", script, options=(mode, "--quiet"), cwd=tmp_path)
        assert (run.returncode, re.sub(" at 0x[0-9a-f]+", "", run.stdout)) == \
            (plain.returncode, re.sub(" at 0x[0-9a-f]+", "", plain.stdout)), run.stderr
        program = "".join(line for line in run.stderr.splitlines(keepends=True)
                          if not line.startswith("concurtrace: "))
        if sys.version_info >= (3, 11):  # 3.10 keeps one frame of the hook (README, 3.10)
            assert re.sub(" at 0x[0-9a-f]+", "", program) == \
                re.sub(" at 0x[0-9a-f]+", "", plain.stderr), program
        assert "Exception ignored in thread started by" in program \
            and "<function task" in program, program  # the program's function, not ours
        threads = [t for t in run.summary()["threads"] if not t["is_main"]]
        assert sorted(t["exc_type"] or "" for t in threads) == \
            ["SystemExit", "ValueError", "ValueError"], threads


def test_a_worker_terminated_before_its_tracer_started_is_not_told_to_be_joined(
        tmp_path: Path) -> None:
    """A non-daemon worker its parent terminate()d 2-11 ms after starting it (CPython's
    test_concurrent_futures.test_process_pool) read 'killed by SIGTERM ... before its tracer
    started. Join it (p.join()) before the parent returns, or make it non-daemon', advice
    for a daemon cut at its parent's exit. It says who ended it, and that none of it ran."""
    script = str(SCRIPTS / "terminated_at_start.py")
    run = trace_run(tmp_path / "t.pftrace", script, options=("--light",), cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert run.stdout == "exit -15 daemon False\n"
    summary = run.summary()
    [worker] = [p for p in summary["processes"] if p["name"] == "SpawnProcess-1"]
    assert worker["terminated_by"] == {"pid": summary["root_pid"], "reason": "terminate"}
    [told] = [f for f in summary["findings"] if f["pid"] == worker["pid"]]
    assert told["kind"] == "nonzero_exit" and told["severity"] == 2, told
    assert "was ended by SIGTERM via terminate() after" in told["message"], told
    if not worker["traced"]:  # (a slow parent may let its tracer start: then it ran)
        assert "before its tracer started: none of its work ran" in told["message"], told
    assert "non-daemon" not in told["advice"], told


def test_pthread_kill_is_a_signal_from_itself(tmp_path: Path) -> None:
    """CPython's test_socketserver pthread_kill()s its main thread with SIGUSR1 from another
    thread: the root read 'exit 0 after SIGUSR1 from outside the traced tree (handled)'."""
    _raised_by_itself(tmp_path, "pthread_kill_self.py", "[10]\n", "SIGUSR1")


def _raised_by_itself(tmp_path: Path, name: str, tail: str, signame: str) -> None:
    """The script prints what it did as without us, in both modes, and its root's handled
    signal is its own ('raised'), never one 'from outside the traced tree'."""
    script = str(SCRIPTS / name)
    plain = subprocess.run([sys.executable, script], capture_output=True, text=True,
                           timeout=60, cwd=tmp_path)
    assert plain.stdout.endswith(tail), plain.stdout
    for mode in ("--light", "--max-stack-depth=20"):
        run = trace_run(tmp_path / "t.pftrace", script, options=(mode,), cwd=tmp_path)
        assert (run.returncode, run.stdout) == (plain.returncode, plain.stdout), run.stderr
        [root] = run.summary()["processes"]
        assert root["handled_signal"] is not None, root
        assert (root["handled_signal"]["signal"], root["handled_signal"]["pid"],
                root["handled_signal"]["reason"]) == (signame, root["pid"], "raised"), root
        assert "outside the traced tree" not in run.stderr, run.stderr
        assert f"exit 0 after {signame} from itself (handled)" in run.stderr, run.stderr
