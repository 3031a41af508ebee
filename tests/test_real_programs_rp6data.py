"""Patterns of real data programs (PyTorch's DataLoader, numpy/OpenBLAS, pyarrow, polars,
multiprocessing.shared_memory) reproduced in small stdlib scripts: what concurtrace showed
wrong on them (bench/README.md, "Real programs, round 6 (rp6data)")."""

from __future__ import annotations

from pathlib import Path

from traced import SCRIPTS, concurtrace, plain_run, runs_as_plain, summary_json


def test_a_worker_whose_c_sigterm_handler_exits_is_not_said_to_return(tmp_path: Path) -> None:
    """PyTorch's DataLoader workers exit 0 from a C SIGTERM handler when their parent
    terminates them (multiprocessing's cleanup of daemon children, when an exception out
    of the loop keeps the loader alive in its traceback). Each read 'exit 0',
    end_reason 'return', with 'never joined ... multiprocessing joined it at exit', its
    threads 'ended (untraced)': no word of the terminate(), nor that its calls were lost."""
    script = SCRIPTS / "c_sigterm_exit.py"
    plain = plain_run(script, tmp_path)
    assert (plain.returncode, plain.stdout) == (0, "A 0\n"), plain.stderr
    for mode, summary in runs_as_plain(script, tmp_path, plain):
        procs = {p["name"]: p for p in summary["processes"]}
        for name, reason in (("A", "terminate"), ("B", "daemon_cleanup")):
            proc = procs[name]
            assert (proc["exit_code"], proc["signal"], proc["end_reason"]) == \
                (0, None, "native_exit"), proc
            handled = proc["handled_signal"]
            assert handled is not None and (handled["signal"], handled["reason"]) == \
                ("SIGTERM", reason), proc
            [helper] = [t for t in summary["threads"]
                        if t["pid"] == proc["pid"] and t["name"] == "helper"]
            assert helper["end_reason"] == "native_exit", helper
            assert helper["ended_ns"] == proc["ended_ns"], (helper, proc)
        kinds = {(f["kind"], f["pid"]): f for f in summary["findings"]}
        a, b = procs["A"]["pid"], procs["B"]["pid"]
        assert ("child_not_joined", b) not in kinds, summary["findings"]
        finding = kinds[("daemon_process_terminated", b)]
        assert "at MainProcess's exit" in finding["message"], finding
        assert "handler is C code" in finding["message"], finding
        finding = kinds[("native_exit", a)]
        assert finding["message"].startswith(
            "A exited with code 0 in C code after SIGTERM from MainProcess (terminate())"), finding
        lost = "its calls are missing" in finding["message"]
        assert lost == (mode == ()), (mode, finding)


def test_a_helper_reparented_before_its_hello_keeps_its_parent(tmp_path: Path) -> None:
    """A short SharedMemoryManager program: the resource tracker it starts outlives it and
    its interpreter says hello after MainProcess ended, when getppid() names concurtrace's
    runner. Its ppid and os_ppid read the runner's pid, a process outside the tree."""
    script = SCRIPTS / "tracker_outlives_parent.py"
    plain = plain_run(script, tmp_path)
    assert (plain.returncode, plain.stdout) == (0, "started\n"), plain.stderr
    for _, summary in runs_as_plain(script, tmp_path, plain):
        root = summary["root_pid"]
        [tracker] = [p for p in summary["processes"] if p["pid"] != root]
        assert tracker["name"] == "resource tracker (multiprocessing)", tracker
        assert (tracker["ppid"], tracker["os_ppid"]) == (root, root), tracker


def test_a_join_says_how_much_of_it_was_the_child_s_trace_save(tmp_path: Path) -> None:
    """torch's DataLoader joins its spawn workers at shutdown: 'Process@dataloader.py:1147
    (SpawnProcess-1): 1 wait, 2.96 s in all; MainThread waited 28% of its life', of which
    ~2.9 s were the worker's exit save of its function trace (not in a plain run), unsaid."""
    script = SCRIPTS / "join_child_save.py"
    plain = plain_run(script, tmp_path)
    assert (plain.returncode, plain.stdout) == (0, "joined 0\n"), plain.stderr
    for mode, summary in runs_as_plain(script, tmp_path, plain):
        [row] = [o for o in summary["sync"]["objects"] if o["label"].startswith("Process@")]
        saving = row["tracer_save_ns"]
        if mode:  # --light saves no function trace
            assert saving is None, row
        else:
            assert saving is not None and 0 < saving <= row["total_wait_ns"], row


def test_a_thread_of_a_killed_process_is_cut_by_the_kill(tmp_path: Path) -> None:
    """A Python thread the hooks saw start, in a process that died of SIGKILL (or in C
    code: the DataLoader worker above), read 'ended (untraced)' at the sampler's last sight
    of it, end_reason null, as a thread of C code."""
    script = SCRIPTS / "kill_with_thread.py"
    plain = plain_run(script, tmp_path)
    assert (plain.returncode, plain.stdout) == (0, "child -9\n"), plain.stderr
    for _, summary in runs_as_plain(script, tmp_path, plain):
        [child] = [p for p in summary["processes"] if p["name"] == "child"]
        [helper] = [t for t in summary["threads"] if t["name"] == "helper"]
        assert (helper["pid"], helper["end_reason"]) == (child["pid"], "killed"), helper
        assert helper["ended_ns"] == child["ended_ns"], (helper, child)


def test_a_row_says_how_many_of_its_waits_timed_out(tmp_path: Path) -> None:
    """torch's DataLoader joins each worker with join(timeout=5) and then terminate()s the
    ones still alive: the row 'Process@dataloader.py:1147 (SpawnProcess-1): 1 wait, 5.01 s'
    did not say that join gave up (outcomes has it: timed_out)."""
    trace = tmp_path / "t.pftrace"
    code = "import threading\nthreading.Event().wait(0.05)\nprint('ok')"
    run = concurtrace("run", "--quiet", "-o", str(trace), "--force", "-c", code, cwd=tmp_path)
    assert (run.returncode, run.stdout) == (0, "ok\n"), run.stderr
    [row] = [o for o in summary_json(trace)["sync"]["objects"] if o["kind"] == "Event"]
    assert row["outcomes"] == {"timed_out": 1}, row
    text = concurtrace("summary", str(trace)).stdout
    assert ": 1 wait (1 timed out), " in text.replace("\n", " "), text


def test_del_of_a_local_frees_it_after_a_hooked_wait(tmp_path: Path) -> None:
    """CPython 3.10's `python -m test test_concurrent_futures` hung in test_del_shutdown
    (the executor manager thread waiting for the shutdown lock it held): our hooks' reads
    of frame.f_locals (find_name, outer_call) left snapshots that kept deleted locals alive
    (3.10-3.12), freed later by another read, in another thread."""
    script = SCRIPTS / "del_local_after_wait.py"
    plain = plain_run(script, tmp_path)
    assert (plain.returncode, plain.stdout) == (0, "freed\nafter del\n"), plain.stderr
    for _, summary in runs_as_plain(script, tmp_path, plain):
        labels = [o["label"] for o in summary["sync"]["objects"]]
        assert "Lock@del_local_after_wait.py:17 (lock)" in labels, labels


def test_a_lock_wait_does_not_keep_the_holder_s_frame(tmp_path: Path) -> None:
    """The wait's holder_stack came from the holder's frame, which the hook kept for the
    whole wait: `del owner` freed nothing, the object was freed in the waiter once it got
    the lock (CPython 3.10's test_concurrent_futures hung in test_del_shutdown so)."""
    script = SCRIPTS / "holder_frame_kept.py"
    plain = plain_run(script, tmp_path)
    assert (plain.returncode, plain.stdout) == (0, "freed in MainThread\ndeleted\n"), \
        plain.stderr
    for _, summary in runs_as_plain(script, tmp_path, plain):
        [row] = [o for o in summary["sync"]["objects"] if o["label"].startswith("Lock@")]
        assert row["waits"] == 1, row


def test_a_python_trace_function_keeps_the_traced_frame_s_locals(tmp_path: Path) -> None:
    """The other side of the f_locals fix: under a trace function of Python the snapshot is
    written back into the frame, so the hooks leave it whole there."""
    script = SCRIPTS / "python_tracer_locals.py"
    plain = plain_run(script, tmp_path)
    assert (plain.returncode, plain.stdout) == (0, "42\n"), plain.stderr
    for _ in runs_as_plain(script, tmp_path, plain):
        pass
