"""Tracing never changes signals: a child terminated right after fork still dies by SIGTERM;
a SIGTERM/SIGHUP ends a process busy in a long C call as promptly as without us."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import engine
import pytest
from traced import summary_json, trace_run

EARLY_TERMINATE = """
import multiprocessing as mp, signal, time
def work():
    time.sleep(2)
if __name__ == "__main__":
    ctx = mp.get_context("fork")
    codes = []
    for _ in range(25):
        p = ctx.Process(target=work)
        p.start()
        p.terminate()  # lands in the child's first microseconds, often inside fork itself
        p.join()
        codes.append(p.exitcode)
    print("codes", sorted(set(codes)))
    print("handler", signal.getsignal(signal.SIGTERM) == signal.SIG_DFL)
"""


def test_sigterm_right_after_fork_is_never_lost(tmp_path: Path) -> None:
    script = tmp_path / "early.py"
    script.write_text(EARLY_TERMINATE)
    run = trace_run(tmp_path / "e.pftrace", str(script))
    assert run.returncode == 0, run.stderr
    assert "codes [-15]" in run.stdout, run.stdout  # an exit code 0 would be a lost signal
    assert "handler True" in run.stdout, "the program must see its own signal disposition"
    children = [p for p in summary_json(run.trace)["processes"] if p["name"] != "MainProcess"]
    assert len(children) == 25
    assert {p["signal"] for p in children} == {"SIGTERM"}


AFTER_FORK = """
import ctypes, os, signal, sys
class Sigaction(ctypes.Structure):
    _fields_ = [("handler", ctypes.c_void_p), ("mask", ctypes.c_ubyte * 128),
                ("flags", ctypes.c_uint), ("restorer", ctypes.c_void_p)]
def state(who):
    out = []
    for signum in (signal.SIGTERM, signal.SIGHUP):
        now = Sigaction()
        ctypes.CDLL(None).sigaction(signum, None, ctypes.byref(now))
        out.append((now.handler, bool(now.flags & 0x80000000),
                    signal.getsignal(signum) == signal.SIG_DFL))
    return f"{who} {out}"
print(state("before"), flush=True)
for _ in range(3):
    pid = os.fork()
    if pid == 0:
        print(state("child"), flush=True)
        os._exit(0)
    os.waitpid(pid, 0)
    print(state("parent"), flush=True)
"""


def test_a_fork_leaves_parent_and_child_with_the_armed_handler(tmp_path: Path) -> None:
    """Around a fork the fatal signals are SIG_DFL (one sigaction each way when armed,
    runner/bootstrap.py): after it, both processes have CPython's C handler with
    SA_RESETHAND again, as before the fork, and the program still reads SIG_DFL."""
    script = tmp_path / "after_fork.py"
    script.write_text(AFTER_FORK)
    run = trace_run(tmp_path / "a.pftrace", str(script))
    assert run.returncode == 0, run.stderr
    lines = run.stdout.split("\n")
    before = lines[0].split(" ", 1)[1]
    assert "True, True)" in before and "False" not in before, before  # armed, SIG_DFL seen
    assert sorted(ln.split(" ", 1)[0] for ln in lines[1:] if ln) == ["child"] * 3 + ["parent"] * 3
    assert {ln.split(" ", 1)[1] for ln in lines[1:] if ln} == {before}, run.stdout


# A target that tells its pid, then runs a C call that holds the GIL for minutes (or Python
# code). The test sends the signal to the target itself, as kill, systemd or Kubernetes do.
BUSY = """
import os, signal, sys, time
if "--own-dfl" in sys.argv:
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # what it already is: must change nothing
if "--fork" in sys.argv:
    import multiprocessing as mp
    ctx = mp.get_context("fork")
    child = ctx.Process(target=sum, args=(range(10**11),), name="busy-child")
    child.start()
    open(sys.argv[1] + ".tmp", "w").write(str(child.pid))
    os.rename(sys.argv[1] + ".tmp", sys.argv[1])
    child.join()
    print("child exitcode", child.exitcode, flush=True)
    sys.exit(0)
open(sys.argv[1] + ".tmp", "w").write(str(os.getpid()))
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
if "--python" in sys.argv:
    def spin():
        while True:
            pass
    spin()
sum(range(10**11))  # minutes in one C call
"""


def _dies_after(argv: list[str], pid_file: Path, signum: int) -> tuple[float, int]:
    """Sends signum to the pid the target wrote; returns (seconds until it died, the
    status of argv[0]'s process)."""
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    try:
        deadline = time.monotonic() + 30
        while not pid_file.exists():
            assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
            time.sleep(0.02)
        pid = int(pid_file.read_text())
        time.sleep(0.3)  # well inside the C call (or the Python loop)
        sent = time.monotonic()
        try:
            os.kill(pid, signum)
        except ProcessLookupError:
            output = proc.communicate(timeout=60)  # what ended it is in the trace, if any
            raise AssertionError(f"pid {pid} ended before the signal: {output}") from None
        while _alive(pid) and time.monotonic() - sent < 5:
            time.sleep(0.005)
        took = time.monotonic() - sent
        assert not _alive(pid), f"still alive {took:.1f} s after {signal.Signals(signum).name}"
        proc.wait(timeout=60)
        return took, proc.returncode
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:  # ENOENT once reaped, ESRCH while it is being reaped
        return False


CONCURTRACE = [sys.executable, "-m", "concurtrace", "run", "--quiet", "--force"]


@pytest.mark.parametrize("mode", ["full", "light"])
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP])
def test_a_signal_ends_a_target_busy_in_a_c_call(tmp_path: Path, mode: str, signum: int) -> None:
    script = tmp_path / "busy.py"
    script.write_text(BUSY)
    plain_s, plain_status = _dies_after([sys.executable, str(script), str(tmp_path / "p0")],
                                        tmp_path / "p0", signum)
    assert plain_status == -signum and plain_s < 0.5
    out = tmp_path / "busy.pftrace"
    light = ["--light"] if mode == "light" else []
    took, status = _dies_after([*CONCURTRACE, *light, "-o", str(out), str(script),
                                str(tmp_path / "p1")], tmp_path / "p1", signum)
    # Our handler cannot run in the C call: the parent's re-send after 0.2 s ends it.
    assert status == 128 + signum and took < 1.5, (took, status)
    root = summary_json(out)["processes"][0]
    assert root["exit_code"] == -signum and root["signal"] == signal.Signals(signum).name


def test_sigterm_ends_a_busy_fork_child_and_a_program_that_set_sig_dfl(tmp_path: Path) -> None:
    script = tmp_path / "busy.py"
    script.write_text(BUSY)
    out = tmp_path / "fork.pftrace"
    took, status = _dies_after([*CONCURTRACE, "-o", str(out), str(script), "--",
                                str(tmp_path / "f"), "--fork"], tmp_path / "f", signal.SIGTERM)
    assert status == 0 and took < 1.5, (took, status)
    child = next(p for p in summary_json(out)["processes"] if p["name"] == "busy-child")
    assert child["exit_code"] == -15 and child["signal"] == "SIGTERM"
    took, status = _dies_after([*CONCURTRACE, "-o", str(out), str(script), "--",
                                str(tmp_path / "d"), "--own-dfl"], tmp_path / "d", signal.SIGTERM)
    assert status == 143 and took < 1.5, (took, status)


@engine.requires_node
def test_sigterm_in_python_code_keeps_the_function_trace(tmp_path: Path) -> None:
    script = tmp_path / "busy.py"
    script.write_text(BUSY)
    out = tmp_path / "py.pftrace"
    took, status = _dies_after([*CONCURTRACE, "-o", str(out), str(script), "--",
                                str(tmp_path / "y"), "--python", "--own-dfl"],
                               tmp_path / "y", signal.SIGTERM)
    assert status == 143 and took < 2.5, (took, status)
    root = summary_json(out)["processes"][0]
    assert root["signal"] == "SIGTERM" and root["traced"] is True
    spins = engine.query(out, "select count(*) as n from slice where name like 'spin%'")
    assert spins[0]["n"] >= 1, "the function trace of a process ended in Python code is kept"


OWN_HANDLER = """
import os, signal, sys, time
calls = []
signal.signal(signal.SIGTERM, lambda *a: calls.append(1))
open(sys.argv[1] + ".tmp", "w").write(str(os.getpid()))
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
if sys.argv[2] == "c-call":
    sum(range(4 * 10**7))  # its handler runs when this returns
end = time.monotonic() + 1.0
while time.monotonic() < end:
    time.sleep(0.05)
print("handler calls", len(calls))
sys.exit(3)
"""


@pytest.mark.parametrize("work", ["c-call", "sleep"])
def test_the_program_s_own_handler_gets_the_signal_once(tmp_path: Path, work: str) -> None:
    # The watchdog must never send a signal again to a process whose handler is not ours.
    script = tmp_path / "own.py"
    script.write_text(OWN_HANDLER)
    out = tmp_path / "own.pftrace"
    proc = subprocess.Popen([*CONCURTRACE, "--light", "-o", str(out), str(script), "--",
                             str(tmp_path / "o"), work], stdout=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 30
    while not (tmp_path / "o").exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    time.sleep(0.1)
    os.kill(int((tmp_path / "o").read_text()), signal.SIGTERM)
    output, _ = proc.communicate(timeout=60)
    assert proc.returncode == 3 and output == "handler calls 1\n", output
    assert summary_json(out)["processes"][0]["exit_code"] == 3


WAKEUP_FD = """
import os, signal, socket
print("initial", signal.set_wakeup_fd(-1))
a, b = socket.socketpair()
a.setblocking(False); b.setblocking(False)
signal.signal(signal.SIGUSR1, lambda *x: None)
print("set own", signal.set_wakeup_fd(a.fileno()) == -1)
os.kill(os.getpid(), signal.SIGUSR1)
print("own fd got", b.recv(8))
print("reset", signal.set_wakeup_fd(-1) == a.fileno())
print("again", signal.set_wakeup_fd(-1))
"""


def test_the_program_sees_its_own_wakeup_fd_only(tmp_path: Path) -> None:
    script = tmp_path / "wakeup.py"
    script.write_text(WAKEUP_FD)
    plain = subprocess.run([sys.executable, str(script)], capture_output=True, text=True)
    assert plain.returncode == 0, plain.stderr
    run = trace_run(tmp_path / "w.pftrace", str(script))
    assert run.returncode == 0, run.stderr
    assert run.stdout == plain.stdout


CLOSES_ALL_FDS = """
import os, resource, signal, sys
signal.signal(signal.SIGUSR1, lambda *a: None)
limit = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
if sys.argv[1] == "closerange":
    os.closerange(3, limit)  # as a daemon does
else:
    for fd in range(3, min(limit, 4096)):
        try:
            os.close(fd)
        except OSError:
            pass
log = os.open(os.devnull, os.O_WRONLY)
os.kill(os.getpid(), signal.SIGUSR1)  # CPython's C handler writes to the wakeup fd, if any
print("still quiet")
"""


@pytest.mark.parametrize("how", ["closerange", "close"])
def test_a_program_that_closes_every_fd_gets_no_wakeup_fd_warning(tmp_path: Path,
                                                                  how: str) -> None:
    script = tmp_path / "daemonish.py"
    script.write_text(CLOSES_ALL_FDS)
    run = trace_run(tmp_path / "c.pftrace", str(script), "--", how, options=("--light",
                                                                             "--quiet"))
    assert run.returncode == 0 and run.stdout == "still quiet\n", run.stderr
    assert [line for line in run.stderr.splitlines() if not line.startswith("concurtrace:")] \
        == [], run.stderr


INTERRUPT_MAIN = """
import _thread, signal
_thread.interrupt_main(signal.SIGTERM)  # SIG_DFL: does nothing (no real signal is sent)
signal.signal(signal.SIGHUP, signal.SIG_DFL)
_thread.interrupt_main(signal.SIGHUP)
for _ in range(1000):
    pass
print("alive")
"""


def test_interrupt_main_with_the_default_disposition_does_nothing(tmp_path: Path) -> None:
    # As in CPython's test_threading: our handler must not take a simulated signal for a
    # real one (the trace and exit status would say SIGTERM where nothing happened).
    script = tmp_path / "interrupt.py"
    script.write_text(INTERRUPT_MAIN)
    plain = subprocess.run([sys.executable, str(script)], capture_output=True, text=True)
    assert plain.returncode == 0 and plain.stdout == "alive\n"
    for light in ((), ("--light",)):
        run = trace_run(tmp_path / "i.pftrace", str(script), options=("--quiet", *light))
        assert run.returncode == 0 and run.stdout == "alive\n", run.stderr


RAW_THREAD_CLOSES = """
import _thread, os, signal, threading, time
done = threading.Event()
def work():
    r, w = os.pipe()
    os.close(r); os.closerange(w, w + 1)
    try:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
    except ValueError as error:
        print("thread:", error)
    done.set()
_thread.start_new_thread(work, ())
done.wait(); time.sleep(0.05)
print(sorted(type(t).__name__ for t in threading.enumerate()))
"""


def test_hooks_make_no_dummy_thread_in_a_raw_thread(tmp_path: Path) -> None:
    # CPython's test_threading on 3.12 reported "threading._dangling was modified".
    script = tmp_path / "raw.py"
    script.write_text(RAW_THREAD_CLOSES)
    plain = subprocess.run([sys.executable, str(script)], capture_output=True, text=True)
    assert plain.returncode == 0 and "_MainThread" in plain.stdout, plain.stderr
    run = trace_run(tmp_path / "r.pftrace", str(script), options=("--quiet", "--light"))
    assert run.returncode == 0, run.stderr
    assert run.stdout == plain.stdout
