"""tools/screenshots.py: README screenshots through ptq --screenshot."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import engine

TOOL = engine.REPO / "tools" / "screenshots.py"
FAST = ["--width", "800", "--height", "500", "--wait", "0.3"]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(TOOL), *args], capture_output=True, text=True, timeout=300
    )


def test_usage_errors() -> None:
    proc = run()
    assert proc.returncode == 2 and "TRACE PNG or --manifest" in proc.stderr


@engine.requires_browser
def test_single_shot_with_selected_slice(small_pftrace: Path, tmp_path: Path) -> None:
    png = tmp_path / "out" / "shot.png"
    proc = run(str(small_pftrace), str(png), "--select-slice", "demo_work", *FAST)
    assert proc.returncode == 0, proc.stderr
    assert png.read_bytes()[:4] == b"\x89PNG"
    assert proc.stdout.strip() == f"small: {png}"


@engine.requires_browser
def test_manifest_reports_each_failure(small_pftrace: Path, tmp_path: Path) -> None:
    manifest = tmp_path / "shots.json"
    manifest.write_text(json.dumps([
        {"scenario": "missing", "trace": "missing.pftrace", "png": "png/missing.png"},
        {"scenario": "no-slice", "trace": small_pftrace.name, "png": "png/x.png",
         "select_slice": "nope"},
    ]))  # fmt: skip
    proc = run("--manifest", str(manifest), *FAST)
    assert proc.returncode == 1
    assert "error: missing: no trace at" in proc.stderr
    assert 'error: no-slice: screenshot failed: ptq: Error: no slice named "nope"' in proc.stderr
