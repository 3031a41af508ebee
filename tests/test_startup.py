"""Start-up stays cheap: each command imports only what it uses (no timing, so no flakes).

`python -X importtime` lists every module a real command imports. Before issue 18,
`concurtrace --version` loaded the model, and `run` loaded pydantic (typer 0.29 builds one
TypeAdapter per option) and protobuf's whole Perfetto schema (26-38 ms).
"""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

HEAVY_ALWAYS = ("pydantic", "google.protobuf", "perfetto")  # run never needs them
NOT_FOR_HELP = ("concurtrace.model", "concurtrace.runner", "concurtrace.exporters",
                "concurtrace.sampler", "concurtrace.report", "psutil", "json")
NOT_USED_BY_HELP = ("markdown_it", "rich.syntax", "pygments")


def imported(*args: str, cwd: Path) -> set[str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    done = subprocess.run([sys.executable, "-X", "importtime", "-m", "concurtrace", *args],
                          capture_output=True, text=True, cwd=cwd, env=env, timeout=60)
    names = {line.split("|")[-1].strip() for line in done.stderr.splitlines()
             if line.startswith("import time:") and "|" in line}
    assert "concurtrace.cli" in names, done.stderr[-2000:]
    return names


def heavy(names: set[str], prefixes: tuple[str, ...]) -> list[str]:
    return sorted(n for n in names if any(n == p or n.startswith(p + ".") for p in prefixes))


def test_version_and_help_import_no_command_code(tmp_path: Path) -> None:
    names = imported("--version", cwd=tmp_path)
    assert heavy(names, HEAVY_ALWAYS + NOT_FOR_HELP + ("rich",)) == []
    for args in (("--help",), ("run", "--help"), ("run", "--no-such-option")):
        names = imported(*args, cwd=tmp_path)
        # a `run` that is not asked for help forks its group-signal sentinel before the
        # CLI parses (console.py): only that module, whose imports typer's include
        prefork = {"concurtrace.runner", "concurtrace.runner.group_signals"} \
            if "--help" not in args else set()
        assert heavy(names - prefork, HEAVY_ALWAYS + NOT_FOR_HELP) == [], args
        # click's plain help and usage errors (rich_markup_mode=None): no rich at all, so
        # neither rich's Markdown (markdown_it) nor its Traceback (rich.syntax, pygments)
        assert heavy(names, NOT_USED_BY_HELP + ("rich",)) == [], args


def test_run_imports_no_pydantic_nor_protobuf(tmp_path: Path) -> None:
    names = imported("run", "--light", "-q", "-o", str(tmp_path / "t.pftrace"), "-c", "pass",
                     cwd=tmp_path)
    assert "concurtrace.exporters.perfetto" in names  # it did write the trace
    # -q: no summary to render; no process left at the end: psutil is not needed;
    # --light: no function trace to decode, so no msgspec; the subreaper's prctl through
    # _ctypes (runner/libc_calls.py), not ctypes (~1.6 ms before the target's spawn)
    assert heavy(names, HEAVY_ALWAYS + ("rich.console", "psutil", "msgspec", "ctypes")) == []
    assert (tmp_path / "t.pftrace").stat().st_size > 0
    # ~2.8 M instructions a @dataclass at import, ~11 M socket's enums: model/plain.py's
    # classes and the watchdog's _socket (callgrind, bench/README.md issue 18)
    assert heavy(names, ("dataclasses", "socket")) == []


def test_a_small_dump_is_decoded_without_msgspec(tmp_path: Path) -> None:
    """A short run's dump is read with json (msgspec's imports would cost ~10 ms); the run's
    prefetch may still import msgspec on a loaded machine (it does after 0.2 s), so the
    read is checked in a process of its own, on the run's kept session."""
    env = {**os.environ, "CONCURTRACE_KEEP_TEMP": "1"}
    done = subprocess.run([sys.executable, "-m", "concurtrace", "run", "-q", "-o",
                           str(tmp_path / "t.pftrace"), "-c",
                           "def f(): pass\nfor _ in range(100): f()"],
                          capture_output=True, text=True, cwd=tmp_path, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    kept = done.stderr.split("session directory kept in ")[1].split()[0]
    try:
        read = subprocess.run([sys.executable, "-c", READ_DUMPS, kept], capture_output=True,
                              text=True, timeout=60)
    finally:
        shutil.rmtree(kept, ignore_errors=True)
    assert read.returncode == 0, read.stderr
    calls, msgspec_loaded = read.stdout.split()
    assert int(calls) >= 100 and msgspec_loaded == "False"


READ_DUMPS = """\
import sys
from pathlib import Path
from concurtrace.model.traces import merge_calls
from concurtrace.runner.collect import find_traces
traces = find_traces(Path(sys.argv[1]), [])
merged = [merge_calls(pid, files, None) for pid, files in traces.items()]
print(sum(len(c) for m in merged for c in m.by_tid.values()), "msgspec" in sys.modules)
"""


def test_traced_program_does_not_load_importlib_abc(tmp_path: Path) -> None:
    # hooks_mp's import finder used to subclass importlib.abc.MetaPathFinder: on 3.11 that
    # import pulls in importlib.resources, tempfile, shutil, random, bz2, lzma (~14 ms in
    # every traced process, and modules the program itself never imported).
    probe = "import sys; print(sorted(m for m in sys.modules if m.startswith('importlib.')))"
    plain = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                           cwd=tmp_path, timeout=60).stdout
    done = subprocess.run([sys.executable, "-m", "concurtrace", "run", "--light", "-q", "-o",
                           str(tmp_path / "t.pftrace"), "-c", probe], capture_output=True,
                          text=True, cwd=tmp_path, timeout=60)
    assert done.returncode == 0, done.stderr
    extra = set(ast.literal_eval(done.stdout)) - set(ast.literal_eval(plain))
    assert not extra & {"importlib.abc", "importlib.resources"}, extra


# What the bootstrap used to import in every traced process (~10 ms of its start, and
# modules a program that never asked for them found in sys.modules).
NOT_FOR_THE_CHILD = {"subprocess", "selectors", "locale", "pathlib", "urllib.parse",
                     "ipaddress", "fnmatch"}


def test_traced_program_loads_neither_subprocess_nor_pathlib(tmp_path: Path) -> None:
    probe = "import sys; print(sorted(sys.modules))"
    plain = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                           cwd=tmp_path, timeout=60).stdout
    done = subprocess.run([sys.executable, "-m", "concurtrace", "run", "--light", "-q", "-o",
                           str(tmp_path / "t.pftrace"), "-c", probe], capture_output=True,
                          text=True, cwd=tmp_path, timeout=60)
    assert done.returncode == 0, done.stderr
    extra = set(ast.literal_eval(done.stdout)) - set(ast.literal_eval(plain))
    assert not extra & NOT_FOR_THE_CHILD, extra
    assert "concurtrace.options" not in extra  # its NamedTuple is for the function trace


def test_a_late_import_of_subprocess_is_still_hooked(tmp_path: Path) -> None:
    from traced import trace_run

    script = tmp_path / "late.py"
    script.write_text("import sys\n\n\ndef later():\n    import subprocess  # only now\n"
                      "    subprocess.run([sys.executable, '-c', 'pass'], check=True)\n\n\n"
                      "later()\n")
    done = trace_run(tmp_path / "t.pftrace", str(script), options=("--quiet", "--light"))
    assert done.returncode == 0, done.stderr
    children = [p for p in done.summary()["processes"] if p["ppid"] is not None]
    assert [p["start_method"] for p in children] == ["subprocess"], children


PREFETCH_PROBE = """
import os, sys
from concurtrace.runner import run as runner
light = sys.argv[1] == "light"
wanted = runner.POST_RUN_MODULES + (() if light else runner.DUMP_MODULES)
before = [m for m in wanted if m in sys.modules]
missing_at_exit = []
real_waitpid = os.waitpid


def waitpid(pid, options):
    got = real_waitpid(pid, options)
    # the reaper's first wait returned (not the group sentinel's start, runner/group_signals.py):
    # the program just ended: what is still to be imported?
    if pid == -1 and not missing_at_exit:
        missing_at_exit.append([m for m in wanted if m not in sys.modules])
    return got


os.waitpid = waitpid
result = runner.run(runner.RunConfig(target_argv=["-c", "import time; time.sleep(2)"],
                                     light=light), also_import=("json",))
print(before, missing_at_exit, sys.getswitchinterval(), result.outcome.exit_code)
"""


def test_the_post_run_stages_are_imported_while_the_program_runs(tmp_path: Path) -> None:
    # runner/run.py imports the model build, the merge and the exporter in a thread once
    # the target has started (runner/prefetch.py): none at import, all before it ends
    # (it sleeps 2 s), and the switch interval is the default again afterwards; with
    # function tracing, the dumps' decoder (msgspec) too.
    for mode in ("light", "full"):
        done = subprocess.run([sys.executable, "-c", PREFETCH_PROBE, mode], capture_output=True,
                              text=True, cwd=tmp_path, timeout=60)
        assert done.returncode == 0, done.stderr
        assert done.stdout.split() == ["[]", "[[]]", str(sys.getswitchinterval()), "0"], \
            (mode, done.stdout)


def test_a_module_the_prefetch_cannot_import_is_left_to_the_main_thread() -> None:
    from concurtrace.runner.prefetch import Prefetch

    interval = sys.getswitchinterval()
    prefetch = Prefetch(("concurtrace.no_such_module", "concurtrace.formats"))
    prefetch.start()
    prefetch.join()
    assert "concurtrace.formats" in sys.modules
    assert "concurtrace.no_such_module" not in sys.modules
    assert sys.getswitchinterval() == interval


GC_PROBE = """
import gc, sys
import concurtrace.cli
assert gc.isenabled()  # importing the CLI leaves the importer's collector alone
gc.disable()  # as the console script does (console.py)
import concurtrace.runner.run as runner
real_run = runner.run


def run(*args, **kwargs):
    print("collector on in the command:", gc.isenabled(), gc.get_freeze_count() > 1000)
    return real_run(*args, **kwargs)


runner.run = run
sys.argv = ["concurtrace", "run", "--light", "-q", "-o", sys.argv[1], "-c", "pass"]
concurtrace.cli.main()
"""


def test_the_collector_is_off_only_while_the_cli_starts(tmp_path: Path) -> None:
    # console.py turns it off before the imports; the command runs with it on again (the
    # start-up objects frozen): a long run's garbage is still collected.
    done = subprocess.run([sys.executable, "-c", GC_PROBE, str(tmp_path / "t.pftrace")],
                          capture_output=True, text=True, cwd=tmp_path, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "collector on in the command: True True", done.stdout
    console = subprocess.run([sys.executable, "-c", "import gc, concurtrace.console; "
                              "print(gc.isenabled())"], capture_output=True, text=True,
                             cwd=tmp_path, timeout=60)
    assert console.stdout.strip() == "True", console.stderr  # only its main() turns it off


def test_the_signal_watchdog_stops_without_waiting_out_its_poll(tmp_path: Path) -> None:
    # Its thread selects with a 0.1 s timeout; stop() used to wait for it to run out,
    # 0.1 s of every run's wall time (this is the min of 3 tries, not a timing of one).
    from concurtrace.runner.watchdog import SignalWatchdog

    took = []
    for attempt in range(3):
        session = tmp_path / str(attempt)
        session.mkdir()
        dog = SignalWatchdog(session)
        assert dog.start()
        started = time.perf_counter()
        dog.stop()
        took.append(time.perf_counter() - started)
    assert min(took) < 0.05, took


def test_the_rich_stand_ins_become_the_real_classes_when_used(tmp_path: Path) -> None:
    probe = (
        "import sys\n"
        "from concurtrace.help_speed import defer_unused_rich\n"
        "defer_unused_rich()\n"
        "import typer.rich_utils as r\n"
        "assert 'markdown_it' not in sys.modules and 'pygments' not in sys.modules\n"
        "import rich.markdown, rich.traceback\n"
        "assert type(r.Markdown('# x')) is rich.markdown.Markdown  # now the real module\n"
        "try:\n"
        "    raise ValueError('x')\n"
        "except ValueError as e:\n"
        "    tb = r.Traceback.from_exception(type(e), e, e.__traceback__)\n"
        "assert type(tb) is sys.modules['rich.traceback'].Traceback\n"
        "print('ok')\n")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          cwd=tmp_path, timeout=60)
    assert done.stdout.strip() == "ok", done.stderr


def test_the_cli_defaults_are_the_models() -> None:
    """options.py (read by --help, which imports no stage) repeats two defaults of
    model/units.py, which the hooks and the model read: they must agree."""
    from concurtrace.model.units import ASYNCIO_SLOW_NS, SYNC_THRESHOLD_NS
    from concurtrace.options import DEFAULT_ASYNCIO_SLOW_MS, DEFAULT_SYNC_THRESHOLD_MS

    assert DEFAULT_SYNC_THRESHOLD_MS * 1e6 == SYNC_THRESHOLD_NS
    assert DEFAULT_ASYNCIO_SLOW_MS * 1e6 == ASYNCIO_SLOW_NS


# What the bootstrap used to import in every traced process before the program ran (~11 ms
# of its ~29 ms of CPU, bench/README.md "Issue 18: the traced child's imports"): json (and
# the re it imports), typing, queue, weakref, importlib.machinery, and every
# multiprocessing sync hook module with zlib and select, for programs that never use
# multiprocessing. Their hooks now come with the program's own import of their module.
NOT_ON_THE_START_PATH = {"json", "json.decoder", "json.encoder", "re", "typing", "dataclasses",
                         "zlib", "select", "multiprocessing", "concurtrace.options", "queue",
                         "heapq", "weakref", "importlib.machinery",
                         "ctypes",  # SA_RESETHAND through _ctypes (libc_calls.py)
                         "signal", "enum",  # _signal; signal.py hooked at its import
                         # (3.13's threading
                         # imports warnings itself)
                         "concurtrace.runner.hooks_sync_mp_patchers",
                         "concurtrace.runner.hooks_sync_mp",
                         "concurtrace.runner.hooks_sync_mp_pipe",
                         "concurtrace.runner.hooks_sync_mp_queues",
                         "concurtrace.runner.hooks_sync_mp_table"}


def test_a_traced_child_loads_no_hook_module_it_does_not_need(tmp_path: Path) -> None:
    probe = "import sys; print(sorted(sys.modules))"
    plain = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                           cwd=tmp_path, timeout=60).stdout
    done = subprocess.run([sys.executable, "-m", "concurtrace", "run", "--light", "-q", "-o",
                           str(tmp_path / "t.pftrace"), "-c", probe], capture_output=True,
                          text=True, cwd=tmp_path, timeout=60)
    assert done.returncode == 0, done.stderr
    extra = set(ast.literal_eval(done.stdout)) - set(ast.literal_eval(plain))
    assert "concurtrace.runner.bootstrap" in extra  # it was traced
    assert sorted(extra & NOT_ON_THE_START_PATH) == []


def test_a_traced_child_arms_sa_resethand_without_ctypes(tmp_path: Path) -> None:
    """The fatal-signal handlers' SA_RESETHAND (sigwatch.ResetHand) is set through _ctypes
    alone: the program finds no ctypes loaded, and the kernel's sigaction of SIGTERM with
    the flag, under CPython's own C handler."""
    probe = ("import sys\n"
             "print('ctypes' in sys.modules)\n"
             "import ctypes\n"
             "class Sigaction(ctypes.Structure):\n"
             "    _fields_ = [('handler', ctypes.c_void_p), ('mask', ctypes.c_ubyte * 128),\n"
             "                ('flags', ctypes.c_uint), ('restorer', ctypes.c_void_p)]\n"
             "now = Sigaction()\n"
             "ctypes.CDLL(None).sigaction(15, None, ctypes.byref(now))\n"
             "print(bool(now.flags & 0x80000000), bool(now.handler))\n")
    done = subprocess.run([sys.executable, "-m", "concurtrace", "run", "--light", "-q", "-o",
                           str(tmp_path / "t.pftrace"), "-c", probe], capture_output=True,
                          text=True, cwd=tmp_path, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["False", "True", "True"], done.stdout


def test_a_late_import_of_signal_is_still_hooked(tmp_path: Path) -> None:
    """The bootstrap uses _signal (signal.py's enums: ~2.7 ms of every traced process's
    start); signal.py's functions are patched at the program's import of it: the program
    sees SIG_DFL where our saving handler is, as before, and its SIG_IGN comes back as
    signal.py's Handlers."""
    probe = ("import sys\n"
             "print('signal' in sys.modules)\n"
             "import signal, _signal\n"
             "print(repr(signal.getsignal(signal.SIGTERM)), _signal.getsignal(15) != 0)\n"
             "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
             "print(repr(signal.signal(signal.SIGTERM, signal.SIG_DFL)))\n"
             "print(repr(signal.getsignal(signal.SIGTERM)), _signal.getsignal(15) != 0)\n"
             "signal.raise_signal(signal.SIGTERM)\n")
    out = tmp_path / "t.json"
    done = subprocess.run([sys.executable, "-m", "concurtrace", "run", "--light", "-q", "-o",
                           str(out), "-c", probe], capture_output=True, text=True,
                          cwd=tmp_path, timeout=60)
    assert done.returncode == 128 + 15, done.stderr
    assert done.stdout.splitlines() == ["False", "<Handlers.SIG_DFL: 0> True",
                                        "<Handlers.SIG_IGN: 1>", "<Handlers.SIG_DFL: 0> True"]
    from traced import summary_json

    root = summary_json(out)["processes"][0]
    # the hooked raise_signal's record: the process's own signal, not one from outside
    assert root["terminated_by"] == {"pid": root["pid"], "reason": "raised"}, root


def test_a_traced_multiprocessing_program_loads_no_typing(tmp_path: Path) -> None:
    """The mp sync hook modules come with the program's import of multiprocessing (and in
    every fork child of it): none of them imports typing (~3 ms), which multiprocessing,
    its Pool, Queue and Pipe do not load without us."""
    probe = ("import multiprocessing, sys\n"
             "if __name__ == '__main__':\n"
             "    with multiprocessing.Pool(2) as pool:\n"
             "        pool.map(abs, [1, 2])\n"
             "    q = multiprocessing.Queue(); q.put(1); q.get()\n"
             "    a, b = multiprocessing.Pipe(); a.send(1); b.recv()\n"
             "    print(sorted(m for m in ('typing', 'concurtrace.runner.hooks_sync_mp_pool')\n"
             "                 if m in sys.modules))\n")
    script = tmp_path / "probe.py"
    script.write_text(probe)
    plain = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                           cwd=tmp_path, timeout=60)
    assert plain.stdout.strip() == "[]", plain.stderr
    done = subprocess.run([sys.executable, "-m", "concurtrace", "run", "--light", "-q", "-o",
                           str(tmp_path / "t.pftrace"), str(script)], capture_output=True,
                          text=True, cwd=tmp_path, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "['concurtrace.runner.hooks_sync_mp_pool']"  # hooked


def test_the_watched_multiprocessing_modules_are_the_patched_ones() -> None:
    from concurtrace.runner.hooks_sync_mp_install import WATCHED
    from concurtrace.runner.hooks_sync_mp_patchers import TARGETS

    assert sorted(WATCHED) == sorted(TARGETS)


def test_the_record_writer_writes_json_dumps_text() -> None:
    import json
    import signal

    from concurtrace.model.jsonline import dumps, loads

    class Unknown:
        def __str__(self) -> str:
            return "unknown"

    record = {"ev": "x", "s": "é\u2028\x00\"\\", "n": [1, -2.5, None, True, False, 10**30],
              "f": {"inf": float("inf"), "neg": -0.0}, "sig": signal.SIGTERM, "t": (1, 2),
              "o": Unknown(), 3: "int key"}
    assert dumps(record) == json.dumps(record, separators=(",", ":"), default=str)
    text = json.dumps({"light": True, "tracer": {"depth": -1, "min": 0.0, "files": None}})
    assert loads(text) == json.loads(text)
    for bad in ("", "{", "{}x", '{"a":1', "[1,]"):
        try:
            loads(bad)
        except ValueError:
            continue
        raise AssertionError(f"{bad!r} was read")


LATE_QUEUE = """import threading, time


def later():
    import queue  # only now: its hooks come with this import
    q, simple = queue.Queue(), queue.SimpleQueue()
    threading.Timer(0.05, q.put, (1,)).start()
    threading.Timer(0.1, simple.put, (2,)).start()
    print(q.get(), simple.get(), type(simple).__name__)


time.sleep(0.01)
later()
"""


def test_a_late_import_of_queue_is_still_hooked(tmp_path: Path) -> None:
    import engine
    from traced import trace_run

    script = tmp_path / "late_queue.py"
    script.write_text(LATE_QUEUE)
    done = trace_run(tmp_path / "t.pftrace", str(script), options=("--quiet", "--light"))
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["1", "2", "SimpleQueue"]  # the program's view unchanged
    names = {row["name"] for row in engine.query(
        done.trace, "select name from slice where name like 'waiting for an item%'")}
    assert names == {"waiting for an item from Queue@late_queue.py:6 (q)",
                     "waiting for an item from SimpleQueue@late_queue.py:6 (simple)"}, names


# Imported by runner/watchers.py once the target is spawned, while its interpreter starts
# (~15 ms that used to come before the spawn): importing the run path must not load them.
AFTER_THE_SPAWN = ("concurtrace.sampler", "concurtrace.runner.watchdog",
                   "concurtrace.runner.livedeadlock", "concurtrace.model.deadlock",
                   "concurtrace.model.sync", "socket")


def test_the_watchers_are_imported_after_the_spawn(tmp_path: Path) -> None:
    probe = ("import sys, concurtrace.cli, concurtrace.cli_support, concurtrace.runner.run; "
             "print(sorted(sys.modules))")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          cwd=tmp_path, timeout=60)
    assert done.returncode == 0, done.stderr
    assert heavy(set(ast.literal_eval(done.stdout)), AFTER_THE_SPAWN) == []


def test_the_sessions_sitecustomize_is_a_stub_of_the_packages_sitestart() -> None:
    """Every traced Python compiles the session's sitecustomize (a new file in each
    session): the work is runner/sitestart.py's, cached with the package (~0.8 ms of each
    process's start when it was all in the file); what is compiled is a few lines."""
    from concurtrace.runner.session import SITECUSTOMIZE, sitecustomize_text

    code = [line for line in SITECUSTOMIZE.splitlines() if line.strip()
            and not line.lstrip().startswith("#")]
    assert len(code) <= 14, SITECUSTOMIZE
    assert "concurtrace.runner.sitestart import boot" in sitecustomize_text()


def test_without_our_package_the_root_is_still_held_and_hands_over(tmp_path: Path) -> None:
    """When the session's package link cannot be imported (removed, another Python that
    cannot read it), the sitecustomize's fallback says so in one line, holds the root
    target for the go all the same, and runs the program's own sitecustomize."""
    from concurtrace.runner.session import create_session

    own = tmp_path / "own"
    own.mkdir()
    (own / "sitecustomize.py").write_text("print('own sitecustomize')\n")
    (own / "concurtrace").mkdir()  # found before ours (its link is gone) and the install's
    (own / "concurtrace" / "__init__.py").write_text("raise ImportError('not here')\n")
    session = create_session({"light": True}, keep=False)
    (session.site_dir / "concurtrace").unlink()
    go_read, go_write = os.pipe()
    try:
        env = {**session.env({**os.environ, "PYTHONPATH": str(own)}),
               "CONCURTRACE_GO_FD": str(go_read)}
        probe = "import os; print('program', 'CONCURTRACE_GO_FD' in os.environ)"
        child = subprocess.Popen([sys.executable, "-c", probe], env=env, pass_fds=(go_read,),
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                 cwd=tmp_path)
        os.close(go_read)
        time.sleep(0.5)
        assert child.poll() is None  # held: the program has not run
        os.close(go_write)
        go_write = -1
        out, err = child.communicate(timeout=30)
    finally:
        if go_write >= 0:
            os.close(go_write)
        session.cleanup()
    assert child.returncode == 0, err
    assert out == "own sitecustomize\nprogram False\n", out
    assert err.startswith("concurtrace: tracing not started in pid") and err.count("\n") == 1
    assert "not here" in err, err


AT_THE_SPAWN = """
import os, sys
spawn = os.posix_spawn
def spy(*args, **kwargs):
    print(sorted(sys.modules), file=sys.stderr, flush=True)
    return spawn(*args, **kwargs)
os.posix_spawn = spy
sys.argv = ["concurtrace", "run", "--light", "-q", "--force", "-o", sys.argv[1], "-c", "pass"]
from concurtrace.console import main
main()
"""


def test_nothing_only_the_watchers_or_the_post_run_need_is_imported_before_the_spawn(
        tmp_path: Path) -> None:
    """What the parent imports before the target's posix_spawn delays the target's start,
    which is on the command's critical path (bench/README.md, startup4): the json package,
    ctypes, the records' reader, the sampler and the watchdog come after it."""
    done = subprocess.run([sys.executable, "-c", AT_THE_SPAWN, str(tmp_path / "t.pftrace")],
                          capture_output=True, text=True, cwd=tmp_path, timeout=60)
    assert done.returncode == 0, done.stderr
    at_spawn = set(ast.literal_eval(done.stderr.splitlines()[0]))
    assert "concurtrace.runner.launch" in at_spawn  # it was the run's spawn
    late = ("json", "ctypes", "concurtrace.model.records", "concurtrace.sampler",
            "concurtrace.runner.watchdog", "concurtrace.runner.livedeadlock", "psutil")
    assert heavy(at_spawn, late) == []
