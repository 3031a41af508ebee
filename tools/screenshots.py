#!/usr/bin/env python3
"""Render README screenshots of traces in the real Perfetto UI (tools/ptq --screenshot).

    python tools/screenshots.py TRACE OUT.png [--select-slice NAME] [--width W --height H]
    python tools/screenshots.py --manifest shots.json

A manifest is a JSON list of {"scenario", "trace", "png", "select_slice" (optional)};
relative paths are taken from the manifest's folder. Selecting a slice opens its
details and draws its flow arrows. Needs Node >= 18, apt chromium and
playwright-core in tools/ptq (.ci/setup-browser.sh installs both).
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

PTQ = Path(__file__).resolve().parent / "ptq" / "ptq"


@dataclass(frozen=True)
class Shot:
    scenario: str
    trace: Path
    png: Path
    select_slice: str | None = None


def take(shot: Shot, width: int = 1600, height: int = 900, wait: float = 3.0) -> None:
    """One screenshot; raises RuntimeError with ptq's message on failure."""
    node = shutil.which("node")
    if node is None:
        raise RuntimeError("node (>= 18) is not on PATH")
    if not shot.trace.is_file():
        raise RuntimeError(f"{shot.scenario}: no trace at {shot.trace}")
    shot.png.parent.mkdir(parents=True, exist_ok=True)
    cmd = [node, str(PTQ), "--screenshot", str(shot.trace), str(shot.png)]
    cmd += ["--width", str(width), "--height", str(height), "--wait", str(wait)]
    if shot.select_slice:
        cmd += ["--select-slice", shot.select_slice]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0 or not shot.png.is_file():
        lines = [ln for ln in proc.stderr.splitlines() if ln.startswith("ptq:")] or [proc.stderr]
        raise RuntimeError(f"{shot.scenario}: screenshot failed: {lines[-1].strip()}")


def load_manifest(path: Path) -> list[Shot]:
    base = path.parent
    shots = []
    for entry in json.loads(path.read_text()):
        shots.append(
            Shot(
                scenario=str(entry.get("scenario") or Path(entry["trace"]).stem),
                trace=base / entry["trace"],
                png=base / entry["png"],
                select_slice=entry.get("select_slice"),
            )
        )
    return shots


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("trace", nargs="?", type=Path, help="trace file (.pftrace or .json)")
    parser.add_argument("png", nargs="?", type=Path, help="output PNG")
    parser.add_argument("--manifest", type=Path, help="JSON list of shots instead of TRACE PNG")
    parser.add_argument("--select-slice", metavar="NAME", help="select the first slice NAME")
    parser.add_argument("--width", type=int, default=1600)
    parser.add_argument("--height", type=int, default=900)
    parser.add_argument("--wait", type=float, default=3.0, help="seconds to settle before shot")
    args = parser.parse_args(argv)
    if args.manifest:
        if args.trace or args.png:
            parser.error("give either TRACE PNG or --manifest, not both")
        shots = load_manifest(args.manifest)
    elif args.trace and args.png:
        shots = [Shot(args.trace.stem, args.trace, args.png, args.select_slice)]
    else:
        parser.error("give TRACE PNG or --manifest FILE")
    failed = 0
    for shot in shots:
        try:
            take(shot, args.width, args.height, args.wait)
            print(f"{shot.scenario}: {shot.png}")
        except RuntimeError as exc:
            print(f"error: {exc}", file=sys.stderr)
            failed += 1
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
