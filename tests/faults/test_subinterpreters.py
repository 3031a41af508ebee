"""Sub-interpreters run as without concurtrace: sitecustomize runs in each one too, and there
it does nothing visible (no tracer, no signal handler, no text), leaving only a record for the
summary's note. Before, full mode hung in VizTracer's thread setup and stderr got
"Error in sitecustomize ... signal only works in main thread of the main interpreter"."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from traced import summary_json, trace_run

SUBINTERPRETERS = """
import threading
count = 0
try:
    import _testcapi  # legacy sub-interpreters (shared GIL), 3.10-3.13
except ImportError:
    _testcapi = None
if _testcapi is not None:
    _testcapi.run_in_subinterp("import threading; print('legacy', sum(range(10)))")
    worker = threading.Thread(target=_testcapi.run_in_subinterp,
                              args=("print('from a thread', 1)",))
    worker.start(); worker.join()
    count += 2
for name in ("_interpreters", "_xxsubinterpreters"):  # 3.13, 3.12 (isolated: own GIL)
    try:
        module = __import__(name)
    except ImportError:
        continue
    interp = module.create()
    module.run_string(interp, "print('isolated', 2)")
    module.destroy(interp)
    count += 1
    break
try:
    from test.support import interpreters  # the high-level module, 3.12-3.13
except ImportError:
    interpreters = None
if interpreters is not None:
    interp = interpreters.create()
    run = interp.exec if hasattr(interp, "exec") else interp.run  # 3.13 / 3.12
    run("print('high-level', 3)")
    interp.close()
    count += 1
print("sub-interpreters", count)
"""


def _own_lines(stderr: str) -> list[str]:
    """stderr without concurtrace's own lines ("concurtrace: trace written to ...")."""
    return [line for line in stderr.splitlines() if not line.startswith("concurtrace:")]


@pytest.mark.parametrize("mode", ["full", "light"])
def test_sub_interpreters_run_untraced_and_silent(tmp_path: Path, mode: str) -> None:
    script = tmp_path / "subinterp.py"
    script.write_text(SUBINTERPRETERS)
    plain = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                           timeout=60)
    assert plain.returncode == 0 and plain.stderr == "", plain.stderr
    count = int(plain.stdout.split()[-1])
    options = ("--quiet", "--timeout", "30") + (("--light",) if mode == "light" else ())
    run = trace_run(tmp_path / "s.pftrace", str(script), options=options)
    assert run.returncode == 0, run.stderr  # a hang ends by --timeout with 143
    assert run.stdout == plain.stdout
    assert _own_lines(run.stderr) == [], run.stderr
    summary = summary_json(run.trace)
    root = summary["processes"][0]
    assert root["exit_code"] == 0 and root["traced"] is True
    if count:
        assert f"code in {count} sub-interpreter(s) of pid {root['pid']} ran untraced" in \
            " ".join(summary["notes"]), summary["notes"]


RESTORES_DEFAULTS = """
import signal, subprocess, sys
signal.signal(signal.SIGTERM, signal.SIG_DFL)  # e.g. undoing its own handler
signal.signal(signal.SIGHUP, signal.SIG_DFL)
code = "print('in a sub-interpreter')"
try:
    import _testcapi
    _testcapi.run_in_subinterp(code)
except ImportError:
    import _interpreters
    interp = _interpreters.create()
    _interpreters.run_string(interp, code)
"""


def test_no_text_from_the_bootstrap_in_a_sub_interpreter(tmp_path: Path) -> None:
    # With the default disposition in the main interpreter, the sub-interpreter's bootstrap
    # used to try signal.signal() there and print "Error in sitecustomize".
    script = tmp_path / "defaults.py"
    script.write_text(RESTORES_DEFAULTS)
    run = trace_run(tmp_path / "d.pftrace", str(script), options=("--quiet", "--light"))
    assert run.returncode == 0, run.stderr
    assert run.stdout == "in a sub-interpreter\n"
    assert _own_lines(run.stderr) == [], run.stderr
