"""Run concurtrace for real, in a child process, and read what it wrote."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
SCENARIOS = REPO / "scenarios"
SCRIPTS = Path(__file__).resolve().parent / "scripts"


@dataclass
class Traced:
    returncode: int
    stdout: str
    stderr: str
    trace: Path

    def summary(self) -> dict[str, Any]:
        return summary_json(self.trace)

    def process(self, name: str) -> dict[str, Any]:
        rows = [p for p in self.summary()["processes"] if p["name"] == name]
        names = [p["name"] for p in self.summary()["processes"]]
        assert rows, f"no process named {name!r} in {names}"
        return rows[0]


def concurtrace(*args: str, cwd: Path | None = None, timeout: float = 180,
                env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "concurtrace", *args], capture_output=True,
                          text=True, timeout=timeout, cwd=cwd, env=env or dict(os.environ))


def start_detached(argv: list[str]) -> subprocess.Popen[str]:
    """Start argv in a new session, with no terminal: a SIGINT can only come from kill."""
    return subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)


def trace_run(out: Path, *target: str, options: tuple[str, ...] = ("--quiet",),
              cwd: Path | None = None) -> Traced:
    done = concurtrace("run", *options, "-o", str(out), "--force", *target, cwd=cwd)
    return Traced(done.returncode, done.stdout, done.stderr, out)


def summary_json(trace: Path) -> dict[str, Any]:
    done = concurtrace("summary", "--json", str(trace))
    assert done.returncode == 0, done.stderr
    data: dict[str, Any] = json.loads(done.stdout)
    return data


def plain_run(script: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """script run by this Python, without concurtrace."""
    return subprocess.run([sys.executable, str(script), *args], capture_output=True, text=True,
                          timeout=60, cwd=cwd)


def runs_as_plain(script: Path, cwd: Path, plain: subprocess.CompletedProcess[str],
                  *args: str) -> Iterator[tuple[tuple[str, ...], dict[str, Any]]]:
    """Full mode, then --light: each run prints and exits as plain did; its summary."""
    for mode in ((), ("--light",)):
        trace = cwd / "t.pftrace"
        run = concurtrace("run", "--quiet", *mode, "-o", str(trace), "--force", str(script),
                          *args, cwd=cwd)
        assert (run.returncode, run.stdout) == (plain.returncode, plain.stdout), run.stderr
        yield mode, summary_json(trace)


def line_of(path: Path, text: str) -> int:
    """The 1-based number of the first line of path that holds text."""
    return next(n for n, line in enumerate(path.read_text().splitlines(), 1) if text in line)
