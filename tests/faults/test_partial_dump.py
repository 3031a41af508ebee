"""A child killed while VizTracer writes its dump: the run finishes, says in one line what it
kept of that child, and every other process's data is intact.

The child makes it deterministic: its own VizTracer.save (the one concurtrace's bootstrap
calls at exit) writes the dump, cuts it (or scrambles it), then SIGKILLs the process, as a
kill landing mid-write would leave it.
"""

from __future__ import annotations

import json
import signal
from collections import Counter
from pathlib import Path

import pytest
from traced import concurtrace, summary_json

ROOT = '''
import subprocess, sys

CHILD = """
import os, random, signal, viztracer
real = viztracer.VizTracer.save
def save(self, output_file=None, *args, **kwargs):
    real(self, output_file, *args, **kwargs)
    with open(output_file, "r+b") as dump:
        size = dump.seek(0, 2)
        if MODE == "cut":
            dump.truncate(size * 2 // 3)
        else:
            dump.seek(0)
            dump.write(random.Random(1).randbytes(size))
    os.kill(os.getpid(), signal.SIGKILL)
viztracer.VizTracer.save = save
def child_work(n):
    return n + 1
for i in range(3000):
    child_work(i)
"""

def work(n):
    return n * 2

if __name__ == "__main__":
    for i in range(500):
        work(i)
    done = subprocess.run([sys.executable, "-c", f"MODE = {sys.argv[1]!r}\\n" + CHILD])
    print("child status", done.returncode, flush=True)
    for i in range(500):
        work(i)
'''


def _slices(trace: Path) -> Counter[tuple[int, str]]:
    data = json.loads(trace.read_text())
    events = data["traceEvents"] if isinstance(data, dict) else data
    return Counter((e["pid"], e["name"].split(" ")[0]) for e in events if e.get("ph") == "X")


@pytest.mark.parametrize("mode", ["cut", "scrambled"])
def test_child_killed_while_saving_its_dump(tmp_path: Path, mode: str) -> None:
    script = tmp_path / "root.py"
    script.write_text(ROOT)
    out = tmp_path / "t.json"
    done = concurtrace("run", "--quiet", "-o", str(out), str(script), mode)
    assert done.returncode == 0, done.stderr
    assert f"child status {-signal.SIGKILL}" in done.stdout
    summary = summary_json(out)
    root = summary["processes"][0]
    child = next(p for p in summary["processes"] if p["name"] == "python -c")
    assert root["exit_code"] == 0 and child["signal"] == "SIGKILL" and child["traced"]
    assert child["ppid"] == root["pid"] and child["started_ns"] < child["ended_ns"]
    warnings = [line for line in done.stderr.splitlines() if f"pid {child['pid']}" in line]
    assert len(warnings) == 1 and warnings[0].startswith("concurtrace: warning: ")
    assert "function trace cut short" in warnings[0], warnings
    assert any(f"pid {child['pid']}: function trace" in note for note in summary["notes"])
    slices = _slices(out)
    assert slices[(root["pid"], "work")] == 1000, "the other processes' data is intact"
    kept = slices[(child["pid"], "child_work")]
    if mode == "cut":
        assert 0 < kept < 3000, "the calls before the cut are kept, the rest dropped"
    else:
        assert kept == 0
