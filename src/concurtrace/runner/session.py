"""A private session directory that makes every Python process of the tree trace itself.

The target and every Python it starts (spawn, forkserver, subprocess, exec)
inherit CONCURTRACE_SESSION and a PYTHONPATH entry whose sitecustomize.py starts
concurtrace.runner.bootstrap, then hands over to any sitecustomize of its own.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import concurtrace
from concurtrace.model.jsonline import dumps

# Every Python of the tree compiles this file (a new one in each session): it is kept to a
# few lines, and the work is runner/sitestart.py's, whose bytecode is cached with the
# package. If our package cannot be imported there, FALLBACK still holds the root target
# for the go and runs the program's own sitecustomize, as sitestart would.
SITECUSTOMIZE = '''\
# Written by concurtrace: start tracing this process (concurtrace/runner/sitestart.py),
# then run the real sitecustomize.
try:
    from concurtrace.runner.sitestart import boot as _concurtrace_boot
except KeyboardInterrupt:  # the program has not run a line: it ends as by an early Ctrl-C
    import _signal
    import os
    _signal.signal(_signal.SIGINT, _signal.SIG_DFL)
    os.kill(os.getpid(), _signal.SIGINT)
except Exception as _concurtrace_error:  # never break the traced program
    exec(%r)
else:
    _concurtrace_boot(__file__)
    del _concurtrace_boot
'''

FALLBACK = '''\
import os as _os
import sys as _sys
_sys.stderr.write("concurtrace: tracing not started in pid %d: %r\\n"
                  % (_os.getpid(), _concurtrace_error))
_go = _os.environ.pop("CONCURTRACE_GO_FD", None)
if _go is not None:
    try:
        _os.read(int(_go), 1)
    except (OSError, ValueError):
        pass
    try:
        _os.close(int(_go))
    except (OSError, ValueError):
        pass
_here = _os.path.dirname(_os.path.abspath(__file__))
_sys.path[:] = [p for p in _sys.path if _os.path.abspath(p or ".") != _here]
_ours = _sys.modules.pop("sitecustomize", None)
try:
    import sitecustomize  # noqa: F401  (the program's own, if any)
except ImportError:
    _sys.modules["sitecustomize"] = _ours
del _go, _here, _ours, _os, _sys
'''


def sitecustomize_text() -> str:
    return SITECUSTOMIZE % FALLBACK


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
    (session.site_dir / "sitecustomize.py").write_text(sitecustomize_text(), encoding="utf-8")
    os.chmod(session.site_dir / "sitecustomize.py", 0o600)
    # Only our package goes on the target's path, never our whole site-packages:
    # another --python must use its own viztracer build.
    package_dir = Path(concurtrace.__file__).resolve().parent
    os.symlink(package_dir, session.site_dir / "concurtrace")
    config_path = directory / "config.json"
    # _json's encoder (model/jsonline.py), not the json package: ~0.8 ms before the spawn
    config_path.write_text(dumps(config), encoding="utf-8")
    os.chmod(config_path, 0o600)
    return session
