"""What concurtrace patches pickles by reference as without it (a spawn Manager pickles
threading.Lock in its registry; a process pool pickles the functions it is given)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from traced import SCRIPTS, trace_run


@pytest.mark.parametrize("options", [("--quiet",), ("--quiet", "--light")])
def test_patched_objects_pickle_as_without_us(tmp_path: Path, options: tuple[str, ...]) -> None:
    script = str(SCRIPTS / "pickled_hooks.py")
    plain = subprocess.run([sys.executable, script], capture_output=True, text=True, timeout=60)
    assert plain.returncode == 0, plain.stderr
    run = trace_run(tmp_path / "t.pftrace", script, options=options)
    assert run.returncode == 0, run.stderr
    assert run.stdout == plain.stdout == "pickled by reference\nmanager lock taken\n"
