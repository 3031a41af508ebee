"""One Ctrl-C: the program sees it exactly as it would without concurtrace, the tree ends by
itself and the trace is saved with the true statuses.

A terminal's Ctrl-C goes to its whole foreground process group (concurtrace, the target and
its children); a SIGINT sent with kill goes to one pid. Each test runs the same script
without concurtrace first, under the same conditions, and expects the same outcome. The
terminal cases use a real pseudo-terminal and a real ^C keystroke.
"""

from __future__ import annotations

import os
import pty
import select
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path

from traced import start_detached, summary_json

CONCURTRACE = (sys.executable, "-m", "concurtrace", "run", "--quiet", "--force")

SLEEPER = """
import threading, time
threading.Thread(target=time.sleep, args=(0.01,), name="before").start()
print("ready", flush=True)
while True:
    time.sleep(0.05)
"""

OWN_SIGINT_HANDLER = """
import os, signal, sys, time
caught = []
signal.signal(signal.SIGINT, lambda signum, frame: caught.append(signum))
print("ready", flush=True)
deadline = time.monotonic() + 8
while not caught and time.monotonic() < deadline:
    time.sleep(0.02)
time.sleep(0.5)  # a doubled SIGINT would land here
print("handler calls", len(caught), flush=True)
sys.exit(5 if caught else 0)
"""

TREE = """
import multiprocessing as mp, sys, time

def child():
    deadline = time.monotonic() + float(sys.argv[1])
    try:
        while time.monotonic() < deadline:
            time.sleep(0.02)
    except KeyboardInterrupt:
        print("child: KeyboardInterrupt", flush=True)
        raise
    print("child: finished", flush=True)

if __name__ == "__main__":
    p = mp.get_context("fork").Process(target=child, name="sleeper")
    p.start()
    time.sleep(0.3)
    print("ready", flush=True)
    try:
        p.join()
    finally:
        print("root: child exit code", p.exitcode, flush=True)
"""

# Runs its arguments as a foreground job, as a shell would; a shell ignores the job's Ctrl-C.
SHELL = ("import signal, subprocess, sys\n"
         "signal.signal(signal.SIGINT, lambda *_: None)\n"
         "sys.exit(subprocess.call(sys.argv[1:]) % 256)\n")


def _script(tmp_path: Path, name: str, code: str) -> Path:
    path = tmp_path / f"{name}.py"
    path.write_text(code)
    return path


def _popen_and_interrupt(argv: list[str], signum: int = signal.SIGINT) -> tuple[int, str, str]:
    """Start argv in a new session (no terminal), send signum once after 'ready'."""
    proc = start_detached(argv)
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "ready"
        time.sleep(0.3)
        proc.send_signal(signum)
        out, err = proc.communicate(timeout=30)
    finally:
        proc.kill()
    return proc.returncode, out, err


def _in_terminal(argv: list[str], interrupt: Callable[[int, int], None], *,
                 stdin_devnull: bool = False, background: bool = False) -> tuple[int, str]:
    """Run argv on a new pseudo-terminal (its controlling terminal); once it printed 'ready',
    interrupt(pid, master_fd). Returns its exit status and everything it printed."""
    pid, master = pty.fork()
    if pid == 0:  # the child: only exec, whatever happens
        try:
            if background:  # a background job of that terminal, like `cmd &`
                _hand_the_terminal_to_another_group()
            if stdin_devnull:  # like `cmd < file`
                os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
            os.execv(argv[0], argv)
        finally:
            os._exit(127)
    output, sent = b"", False
    deadline = time.monotonic() + 40
    try:
        while time.monotonic() < deadline:
            if select.select([master], [], [], 0.1)[0]:
                try:
                    data = os.read(master, 65536)
                except OSError:  # EIO: every process holding the terminal has ended
                    break
                if not data:
                    break
                output += data
            if not sent and b"ready" in output:
                time.sleep(0.3)
                interrupt(pid, master)
                sent = True
    finally:
        if time.monotonic() >= deadline:
            os.kill(pid, signal.SIGKILL)
        _, status = os.waitpid(pid, 0)
        os.close(master)
    assert sent, output.decode(errors="replace")
    return os.waitstatus_to_exitcode(status), output.decode(errors="replace").replace("\r", "")


def _hand_the_terminal_to_another_group() -> None:
    # A session leader cannot leave its process group: make another group the foreground.
    ready, release = os.pipe()
    other = os.fork()
    if other == 0:
        os.close(release)
        os.setpgid(0, 0)
        os.read(ready, 1)  # until the terminal is handed over
        os._exit(0)
    os.setpgid(other, other)
    os.tcsetpgrp(0, other)
    os.close(release)
    os.waitpid(other, 0)


def _ctrl_c(_pid: int, master: int) -> None:
    os.write(master, b"\x03")  # the terminal turns it into SIGINT for its foreground group


def _kill_int(pid: int, _master: int) -> None:
    os.kill(pid, signal.SIGINT)


def test_one_ctrl_c_gives_the_program_its_keyboard_interrupt(tmp_path: Path) -> None:
    script = _script(tmp_path, "sleeper", SLEEPER)
    plain, _, plain_err = _popen_and_interrupt([sys.executable, str(script)])
    assert plain == -signal.SIGINT and "KeyboardInterrupt" in plain_err  # Python >= 3.8
    out = tmp_path / "s.pftrace"
    status, _, err = _popen_and_interrupt([*CONCURTRACE, "-o", str(out), str(script)])
    assert status == 128 + signal.SIGINT, err
    assert "Traceback" in err and "\nKeyboardInterrupt" in err and "time.sleep(0.05)" in err
    assert "Ctrl-C reached the program" in err
    summary = summary_json(out)
    root = summary["processes"][0]
    assert root["exit_code"] == -signal.SIGINT and root["signal"] == "SIGINT"
    assert any(t["name"] == "before" and t["ended_ns"] for t in summary["threads"])
    said = [f["message"] for f in summary["findings"] if f["kind"] == "nonzero_exit"]
    assert said == ["MainProcess was interrupted by SIGINT after " + said[0].split("after ")[1]]


def test_own_sigint_handler_gets_exactly_one_ctrl_c(tmp_path: Path) -> None:
    script = _script(tmp_path, "handler", OWN_SIGINT_HANDLER)
    plain, plain_out, _ = _popen_and_interrupt([sys.executable, str(script)])
    assert plain == 5 and "handler calls 1" in plain_out
    out = tmp_path / "h.pftrace"
    status, output, err = _popen_and_interrupt([*CONCURTRACE, "-o", str(out), str(script)])
    assert status == 5, err
    assert "handler calls 1" in output
    root = summary_json(out)["processes"][0]
    assert root["exit_code"] == 5 and root["signal"] is None


def test_terminal_ctrl_c_reaches_the_whole_tree(tmp_path: Path) -> None:
    script = _script(tmp_path, "tree", TREE)
    plain, plain_out = _in_terminal([sys.executable, str(script), "20"], _ctrl_c)
    assert plain == -signal.SIGINT, plain_out
    assert "child: KeyboardInterrupt" in plain_out
    out = tmp_path / "t.pftrace"
    status, output = _in_terminal([*CONCURTRACE, "-o", str(out), str(script), "20"], _ctrl_c)
    assert status == 128 + signal.SIGINT, output
    assert "child: KeyboardInterrupt" in output and "root: child exit code" in output
    tracebacks = "\nKeyboardInterrupt\n"  # the last line of each of the two tracebacks
    assert output.count(tracebacks) == plain_out.count(tracebacks) == 2
    summary = summary_json(out)
    root = summary["processes"][0]
    sleeper = next(p for p in summary["processes"] if p["name"] == "sleeper")
    assert root["signal"] == "SIGINT" and root["exit_code"] == -signal.SIGINT
    assert sleeper["exit_code"] == 1 and sleeper["exc_type"] == "KeyboardInterrupt"
    assert sleeper["ppid"] == root["pid"] and sleeper["start_method"] == "fork"


def test_kill_int_to_concurtrace_reaches_the_root_only(tmp_path: Path) -> None:
    # No terminal: like `kill -INT` on the program's pid, only the root gets it; its child
    # runs on, and the root (in multiprocessing's exit join) waits for it, then dies by SIGINT.
    script = _script(tmp_path, "tree", TREE)
    plain, plain_out, _ = _popen_and_interrupt([sys.executable, str(script), "1.2"])
    assert plain == -signal.SIGINT and "child: finished" in plain_out
    out = tmp_path / "k.pftrace"
    status, output, err = _popen_and_interrupt([*CONCURTRACE, "-o", str(out), str(script),
                                                "1.2"])
    assert status == 128 + signal.SIGINT, err
    assert "child: finished" in output and "child: KeyboardInterrupt" not in output
    summary = summary_json(out)
    sleeper = next(p for p in summary["processes"] if p["name"] == "sleeper")
    assert summary["processes"][0]["signal"] == "SIGINT" and sleeper["exit_code"] == 0


def test_terminal_ctrl_c_is_not_forwarded_again_when_stdin_is_redirected(tmp_path: Path) -> None:
    # `concurtrace run x.py < file` at a terminal: the terminal already sent Ctrl-C to the
    # whole foreground group, so concurtrace must not forward it (that doubled it). Made
    # deterministic by a target that leaves the foreground group: the terminal's SIGINT
    # cannot reach it, and without concurtrace it sees none.
    script = _script(tmp_path, "aside", "import os\nos.setpgid(0, 0)\n" + OWN_SIGINT_HANDLER
                     .replace("time.monotonic() + 8", "time.monotonic() + 1.5"))
    # The terminal's session leader cannot leave its group: a shell-like parent runs the rest.
    shell = [sys.executable, "-c", SHELL]
    plain, plain_out = _in_terminal([*shell, sys.executable, str(script)], _ctrl_c,
                                    stdin_devnull=True)
    assert plain == 0 and "handler calls 0" in plain_out, plain_out
    out = tmp_path / "a.pftrace"
    status, output = _in_terminal([*shell, *CONCURTRACE, "-o", str(out), str(script)], _ctrl_c,
                                  stdin_devnull=True)
    assert status == 0 and "handler calls 0" in output, output
    assert summary_json(out)["processes"][0]["exit_code"] == 0


def test_kill_int_reaches_a_program_run_in_the_background(tmp_path: Path) -> None:
    # `concurtrace run x.py &` at a terminal (stdin is the terminal, but no Ctrl-C can reach a
    # background job): a SIGINT sent to concurtrace with kill must be forwarded.
    script = _script(tmp_path, "bg", OWN_SIGINT_HANDLER)
    plain, plain_out = _in_terminal([sys.executable, str(script)], _kill_int, background=True)
    assert plain == 5 and "handler calls 1" in plain_out, plain_out
    out = tmp_path / "b.pftrace"
    status, output = _in_terminal([*CONCURTRACE, "-o", str(out), str(script)], _kill_int,
                                  background=True)
    assert status == 5 and "handler calls 1" in output, output
    assert summary_json(out)["processes"][0]["exit_code"] == 5


def test_sigterm_to_concurtrace_reaches_the_program_s_own_handler(tmp_path: Path) -> None:
    script = _script(tmp_path, "term", OWN_SIGINT_HANDLER.replace("SIGINT", "SIGTERM"))
    out = tmp_path / "term.pftrace"
    status, output, err = _popen_and_interrupt([*CONCURTRACE, "-o", str(out), str(script)],
                                               signal.SIGTERM)
    assert status == 5 and "handler calls 1" in output, err
    root = summary_json(out)["processes"][0]
    assert root["exit_code"] == 5 and root["signal"] is None
    # concurtrace passed it on from outside the tree: handled, no sender in the tree.
    handled = root["handled_signal"]
    assert handled is not None, root
    assert (handled["signal"], handled["pid"], handled["reason"]) == ("SIGTERM", None, "external")


def test_a_ctrl_c_while_the_target_is_held_for_the_go_ends_it_by_sigint(tmp_path: Path) -> None:
    """The root target waits in our sitecustomize until the parent's watchers run. A Ctrl-C
    then (or during our imports) ends it as Python ends on an unhandled early Ctrl-C, by
    SIGINT, with no "Fatal Python error" and no traceback of ours; the program never ran."""
    import subprocess

    from concurtrace.runner.session import create_session

    session = create_session({"light": True, "sync": True}, keep=False)
    go_read, go_write = os.pipe()
    try:
        env = {**session.env(dict(os.environ)), "CONCURTRACE_GO_FD": str(go_read)}
        child = subprocess.Popen([sys.executable, "-c", "print('program ran')"], env=env,
                                 pass_fds=(go_read,), stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True, cwd=tmp_path,
                                 preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
        os.close(go_read)
        time.sleep(1.0)  # held by then (~30 ms); earlier, the same: a Ctrl-C in our imports
        child.send_signal(signal.SIGINT)
        out, err = child.communicate(timeout=30)
    finally:
        os.close(go_write)
        session.cleanup()
    assert child.returncode == -signal.SIGINT, (child.returncode, err)
    assert "program ran" not in out
    assert "Fatal Python error" not in err and "Traceback" not in err, err
