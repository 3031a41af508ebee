"""Patterns of real third-party programs (CPython's test_subprocess, uvicorn served and
stopped by a signal to its process group, ...) reproduced in small scripts: what
concurtrace changed or showed wrong on them (bench/README.md, "Real programs, round 2")."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from traced import SCRIPTS, concurtrace


def test_popen_warning_names_the_programs_line(tmp_path: Path) -> None:
    """Popen's EncodingWarning counts its stacklevel over subprocess.py's own frames: our
    hook of Popen.__init__ stood between them, so it named bootstrap.py:76 and the second
    one was swallowed as a repeat. The hook is now on _execute_child."""
    script = str(SCRIPTS / "popen_text_warning.py")
    env = {**os.environ, "PYTHONWARNDEFAULTENCODING": "1"}
    plain = subprocess.run([sys.executable, script], capture_output=True, text=True,
                           timeout=60, env=env, cwd=tmp_path)
    assert plain.stderr.count("popen_text_warning.py:") == 2, plain.stderr
    for mode in ((), ("--light",)):
        run = concurtrace("run", "--quiet", *mode, "-o", str(tmp_path / "t.pftrace"),
                          "--force", script, cwd=tmp_path, env=env)
        assert (run.returncode, run.stdout) == (plain.returncode, plain.stdout)
        ours = [line for line in run.stderr.splitlines() if line.startswith("concurtrace:")]
        assert run.stderr.splitlines()[:-len(ours) or None] == plain.stderr.splitlines(), \
            run.stderr


def test_the_record_file_is_above_the_programs_fds(tmp_path: Path) -> None:
    """Each traced process's record file was its fd 3 (test_subprocess.test_pass_fds saw it
    in its child's fds); it is now above 400, where sigwatch's pipe already was."""
    run = concurtrace("run", "--quiet", "--light", "-o", str(tmp_path / "t.pftrace"),
                      str(SCRIPTS / "own_fds.py"), cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert run.stdout == "listed\nlisted\n"
