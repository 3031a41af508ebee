"""The CPythons the per-version tests run under: the CI's pyenv builds and Debian's
python3 (libpython linked in statically). CONCURTRACE_TEST_PYTHONS overrides the list
(paths separated by os.pathsep); an interpreter that is not installed is skipped."""

from __future__ import annotations

import os
from pathlib import Path

PYENV = Path("/root/.pyenv/versions")
DEFAULT = [*(PYENV / v / "bin" / "python" for v in ("3.10.13", "3.11.7", "3.12.1", "3.13.0")),
           Path("/usr/bin/python3")]
INTERPRETERS = [Path(p) for p in os.environ.get("CONCURTRACE_TEST_PYTHONS", "").split(os.pathsep)
                if p] or DEFAULT


def version_id(python: Path) -> str:
    return python.parent.parent.name if "pyenv" in str(python) else str(python)
