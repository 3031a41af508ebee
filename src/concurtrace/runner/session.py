"""A private session directory that makes every Python process of the tree trace itself.

The target and every Python it starts (spawn, forkserver, subprocess, exec)
inherit CONCURTRACE_SESSION and a PYTHONPATH entry whose sitecustomize.py starts
concurtrace.runner.bootstrap, then hands over to any sitecustomize of its own.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import concurtrace

SITECUSTOMIZE = '''\
# Written by concurtrace: start tracing this process, then run the real sitecustomize.
import os as _os
import sys as _sys


def _concurtrace_in_main_interpreter():
    # Signals belong to the main thread of the main interpreter, where site runs; in a
    # sub-interpreter set_wakeup_fd raises, and tracing there is not safe (VizTracer's
    # C state is per process): leave a record for the summary's note, print nothing.
    import _signal
    import time
    try:
        _signal.set_wakeup_fd(_signal.set_wakeup_fd(-1))
        return True
    except ValueError:
        pass
    try:
        session = _os.environ["CONCURTRACE_SESSION"]
        fd = _os.open(_os.path.join(session, "life-%d-subinterpreters.jsonl" % _os.getpid()),
                      _os.O_WRONLY | _os.O_CREAT | _os.O_APPEND | _os.O_CLOEXEC, 0o600)
        try:
            _os.write(fd, b'{"ev":"subinterpreter","pid":%d,"ts":%d}\\n'
                      % (_os.getpid(), time.monotonic_ns()))
        finally:
            _os.close(fd)
    except Exception:
        pass
    return False


def _concurtrace_start():
    start = None
    if _concurtrace_in_main_interpreter():
        try:
            from concurtrace.runner.bootstrap import start_from_environment as start
        except Exception as error:  # never break the traced program
            _sys.stderr.write("concurtrace: tracing not started in pid %d: %r\\n"
                              % (_os.getpid(), error))
    # The root target waits here, its interpreter and our imports done, until concurtrace
    # has its sampler and watchdog running (runner/launch.py: they start while we import):
    # nothing of the program runs unobserved. End of file: the parent went; we go too.
    go = _os.environ.pop("CONCURTRACE_GO_FD", None)
    if go is not None:
        try:
            _os.read(int(go), 1)
        except (OSError, ValueError):
            pass
        try:
            _os.close(int(go))
        except (OSError, ValueError):
            pass
    return start


def _concurtrace_ctrl_c():
    # Ctrl-C came while we started this interpreter (our imports, the hold for the go, our
    # hooks): the program has not run a line, so it ends as Python ends on a Ctrl-C that
    # nothing handles, by SIGINT. Out of here, the KeyboardInterrupt would end it with
    # "Fatal Python error: init_import_site", exit status 1 and a traceback of ours.
    import _signal
    _signal.signal(_signal.SIGINT, _signal.SIG_DFL)
    _os.kill(_os.getpid(), _signal.SIGINT)


def _concurtrace_boot():
    here = _os.path.dirname(_os.path.abspath(__file__))
    try:
        start = _concurtrace_start()
    except KeyboardInterrupt:
        _concurtrace_ctrl_c()
    _sys.path[:] = [p for p in _sys.path if _os.path.abspath(p or ".") != here]
    ours = _sys.modules.pop("sitecustomize", None)
    try:
        import sitecustomize  # noqa: F401  (the program's own, if any)
    except ImportError:
        _sys.modules["sitecustomize"] = ours
    if start is not None:
        try:
            start()  # last: the function trace starts here
        except KeyboardInterrupt:
            _concurtrace_ctrl_c()


_concurtrace_boot()
del _concurtrace_boot, _concurtrace_start, _concurtrace_ctrl_c, _concurtrace_in_main_interpreter
'''


class Session:  # a plain class, not a dataclass: ~0.7 ms less at every start
    def __init__(self, directory: Path, keep: bool = False) -> None:
        self.directory, self.keep = directory, keep

    @property
    def site_dir(self) -> Path:
        return self.directory / "site"

    def env(self, base: dict[str, str]) -> dict[str, str]:
        env = dict(base)
        path = [str(self.site_dir)] + ([base["PYTHONPATH"]] if base.get("PYTHONPATH") else [])
        env["PYTHONPATH"] = os.pathsep.join(path)
        env["CONCURTRACE_SESSION"] = str(self.directory)
        return env

    def cleanup(self) -> None:
        if not self.keep:
            shutil.rmtree(self.directory, ignore_errors=True)


def create_session(config: dict[str, Any], keep: bool = False) -> Session:
    """Creates the 0700 session dir with config.json, sitecustomize and our package link."""
    directory = Path(tempfile.mkdtemp(prefix="concurtrace-"))
    os.chmod(directory, 0o700)
    keep = keep or bool(os.environ.get("CONCURTRACE_KEEP_TEMP"))  # for debugging test suites
    session = Session(directory, keep)
    session.site_dir.mkdir(mode=0o700)
    (session.site_dir / "sitecustomize.py").write_text(SITECUSTOMIZE, encoding="utf-8")
    os.chmod(session.site_dir / "sitecustomize.py", 0o600)
    # Only our package goes on the target's path, never our whole site-packages:
    # another --python must use its own viztracer build.
    package_dir = Path(concurtrace.__file__).resolve().parent
    os.symlink(package_dir, session.site_dir / "concurtrace")
    config_path = directory / "config.json"
    config_path.write_text(json.dumps(config), encoding="utf-8")
    os.chmod(config_path, 0o600)
    return session
