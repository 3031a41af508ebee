"""The CLI as a user meets it: targets, arguments, exit statuses, bad input."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from traced import concurtrace, summary_json, trace_run


def test_module_with_arguments_after_double_dash(tmp_path: Path) -> None:
    (tmp_path / "mytool.py").write_text("import sys\nprint('argv', sys.argv[1:])\n")
    done = concurtrace("run", "--quiet", "-o", str(tmp_path / "m.pftrace"), "-m", "mytool",
                       "--", "--flag", "x", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "argv ['--flag', 'x']" in done.stdout
    names = [p["name"] for p in summary_json(tmp_path / "m.pftrace")["processes"]]
    assert names == ["MainProcess"]


def test_the_programs_own_options_after_its_target_are_its_own(tmp_path: Path) -> None:
    """As with python: `-m test test_threading -m 'test_join*'` gives the second -m to the
    program (concurtrace took it for its own and ran the module `test_join*`)."""
    (tmp_path / "mytool.py").write_text("import sys\nprint('argv', sys.argv[1:])\n")
    out = tmp_path / "m.json"
    done = concurtrace("run", "--quiet", "--light", "-o", str(out), "-m", "mytool", "x", "-m",
                       "y*", "-o", "z", "--help", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "argv ['x', '-m', 'y*', '-o', 'z', '--help']" in done.stdout
    assert out.exists()
    script = tmp_path / "mytool.py"
    done = concurtrace("run", "-q", "--light", "--force", "-o", str(out), str(script), "-c",
                       "1", "--", "-v", cwd=tmp_path)
    assert "argv ['-c', '1', '--', '-v']" in done.stdout, done.stderr


def test_the_options_that_take_a_value_are_runs() -> None:
    """program_args_apart skips the value of each option of run that takes one."""
    import typer.main

    from concurtrace.cli import app
    from concurtrace.program_args import TARGET_OPTIONS, VALUE_OPTIONS

    command = typer.main.get_command(app).commands["run"]  # type: ignore[attr-defined]
    taking = {name for p in command.params if p.param_type_name == "option"
              and not p.is_flag for name in p.opts} - set(TARGET_OPTIONS)
    assert taking == VALUE_OPTIONS


def test_code_with_arguments(tmp_path: Path) -> None:
    done = concurtrace("run", "--quiet", "-o", str(tmp_path / "c.json"), "-c",
                       "import sys; print(sys.argv[1:])", "--", "a", "b")
    assert done.returncode == 0, done.stderr
    assert "['a', 'b']" in done.stdout
    assert summary_json(tmp_path / "c.json")["processes"][0]["exit_code"] == 0


@pytest.mark.parametrize(("code", "expected", "status", "signal"), [
    ("import sys; sys.exit(3)", 3, 3, None),
    ("import os, signal; os.kill(os.getpid(), signal.SIGTERM)", 143, -15, "SIGTERM"),
    ("import os; os._exit(7)", 7, 7, None),
])
def test_exit_status_propagates(tmp_path: Path, code: str, expected: int, status: int,
                                signal: str | None) -> None:
    out = tmp_path / "x.pftrace"
    done = concurtrace("run", "--quiet", "-o", str(out), "-c", code)
    assert done.returncode == expected, done.stderr
    root = summary_json(out)["processes"][0]
    assert root["exit_code"] == status and root["signal"] == signal


def test_script_that_raises_keeps_traceback_status_and_trace(tmp_path: Path) -> None:
    script = tmp_path / "boom.py"
    script.write_text("def f():\n    raise ValueError('boom')\nf()\n")
    run = trace_run(tmp_path / "b.pftrace", str(script))
    assert run.returncode == 1
    assert "ValueError: boom" in run.stderr and "Traceback" in run.stderr
    root = run.summary()["processes"][0]
    assert root["exit_code"] == 1 and root["exc_type"] == "ValueError"
    kinds = [f["kind"] for f in run.summary()["findings"]]
    assert "nonzero_exit" in kinds


@pytest.mark.parametrize("args", [
    ["run", "/nonexistent/script.py"],
    ["run", "-o", "/nonexistent-dir/x.pftrace", "-c", "pass"],
    ["run", "-o", "x.txt", "-c", "pass"],
    ["run", "--sample-hz", "-5", "-c", "pass"],
    ["run", "--max-slices", "-1", "-c", "pass"],
    ["summary", "/nonexistent.pftrace"],
])
def test_bad_input_is_one_line_and_exit_2(args: list[str], tmp_path: Path) -> None:
    done = concurtrace(*args, cwd=tmp_path)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert "concurtrace: error:" in done.stderr or "Error" in done.stderr


def test_existing_output_needs_force(tmp_path: Path) -> None:
    out = tmp_path / "t.pftrace"
    out.write_text("keep me")
    done = concurtrace("run", "--quiet", "-o", str(out), "-c", "pass")
    assert done.returncode == 2 and out.read_text() == "keep me"


def test_default_output_path_and_entry_point(tmp_path: Path) -> None:
    exe = shutil.which("concurtrace", path=str(Path(sys.executable).parent))
    assert exe is not None, "the concurtrace entry point is installed"
    done = subprocess.run([exe, "run", "--quiet", "-c", "print('hi')"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    traces = list((tmp_path / "traces").glob("code-*.pftrace"))
    assert len(traces) == 1 and str(traces[0].relative_to(tmp_path)) in done.stderr
    assert "concurtrace view" in done.stderr


def test_summary_of_corrupt_trace_is_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.pftrace"
    bad.write_bytes(b"\x0a\xff\xff\xff\x0f garbage")
    done = concurtrace("summary", str(bad))
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_scenarios_list_and_run_by_name_from_anywhere(tmp_path: Path) -> None:
    listed = concurtrace("scenarios", cwd=tmp_path)
    assert listed.returncode == 0
    names = [line.split()[0] for line in listed.stdout.splitlines() if line.strip()]
    assert {"threads", "processes", "gil_convoy", "crash_child"} <= set(names)
    assert all(len(line.split(None, 1)) == 2 for line in listed.stdout.splitlines())
    out = tmp_path / "s.pftrace"
    done = concurtrace("run", "--quiet", "--scenario", "threads", "-o", str(out), cwd=tmp_path)
    assert done.returncode == 0 and done.stdout.count("Dancing...") == 5
    assert concurtrace("run", "--scenario", "nope", cwd=tmp_path).returncode == 2


def test_version_and_help_examples() -> None:
    assert concurtrace("--version").stdout.startswith("concurtrace ")
    for command in ("run", "summary", "view", "check"):
        text = concurtrace(command, "--help").stdout
        assert "Example" in text, command


def test_default_output_never_replaces_a_trace_of_the_same_second(tmp_path: Path) -> None:
    import time

    traces = tmp_path / "traces"
    traces.mkdir()
    now = time.time()
    taken = [traces / f"code-{time.strftime('%Y%m%d-%H%M%S', time.localtime(now + s))}.pftrace"
             for s in range(4)]  # every second the run may start in
    for path in taken:
        path.write_text("earlier run")
    done = concurtrace("run", "--quiet", "-c", "pass", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert all(path.read_text() == "earlier run" for path in taken)
    new = [p for p in traces.iterdir() if p not in taken]
    assert len(new) == 1 and new[0].name.endswith("-2.pftrace"), new


LEAVE = """
import atexit, sys, threading, time
from concurtrace.console import leave
case = sys.argv[1]
atexit.register(lambda: print("atexit ran", flush=True))
sys.stdout.write("buffered, not flushed")  # the flush happens on the way out
if case == "thread":  # a non-daemon thread: the interpreter waits for it, then atexit
    threading.Thread(target=lambda: (time.sleep(0.2), print("thread ended"))).start()
if case == "ctrl-c":  # a Ctrl-C while leave() flushes: the interpreter's exit goes on
    class Interrupted:
        def __init__(self, stream):
            self.stream, self.flushes = stream, 0
        def flush(self):
            self.flushes += 1
            if self.flushes == 2:  # the first is the atexit handler's print
                raise KeyboardInterrupt
            self.stream.flush()
        def __getattr__(self, name):
            return getattr(self.stream, name)
    sys.stdout = Interrupted(sys.stdout)
code = {"none": None, "int": 7, "thread": 5, "text": "bye", "big": 300, "bool": True,
        "ctrl-c": 3}[case]
done = SystemExit(code)
leave(done)
print("returned", flush=True)  # leave() gave the exit back to the interpreter
raise done
"""


@pytest.mark.parametrize(("case", "status", "returned"), [
    ("none", 0, False), ("int", 7, False), ("thread", 5, True), ("text", 1, True),
    ("big", 300 & 0xFF, True), ("bool", 1, True), ("ctrl-c", 3, True)])
def test_the_console_leaves_with_the_status_the_interpreter_would(
        tmp_path: Path, case: str, status: int, returned: bool) -> None:
    """console.leave: os._exit after atexit and the streams' flush, or, for what it cannot
    say is the same, back to the interpreter's own exit."""
    done = subprocess.run([sys.executable, "-c", LEAVE, case], capture_output=True,
                          text=True, cwd=tmp_path, timeout=30)
    assert done.returncode == status, done.stderr
    assert done.stdout.startswith("buffered, not flushed"), done.stdout
    assert done.stdout.count("atexit ran") == 1, done.stdout
    assert ("returned" in done.stdout) == returned, done.stdout
    if case == "thread":
        assert done.stdout.index("thread ended") < done.stdout.index("atexit ran")
    if case == "text":
        assert "bye" in done.stderr


def test_the_console_leaves_after_a_run_with_the_programs_status(tmp_path: Path) -> None:
    """The console script's quick exit keeps the status of a run whose program dies by a
    signal (128+N) and the command's own messages, written before it leaves."""
    done = concurtrace("run", "--light", "-q", "-o", str(tmp_path / "t.pftrace"), "-c",
                       "import os, signal; os.kill(os.getpid(), signal.SIGTERM)", cwd=tmp_path)
    assert done.returncode == 128 + 15, done.stderr
    assert done.stderr.rstrip().endswith("or at https://ui.perfetto.dev"), done.stderr
