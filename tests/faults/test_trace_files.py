"""Broken trace files through the real CLI: `summary`, `check` and `view` refuse each in one
line (exit 2) before doing anything, and a plain VizTracer trace gets a best-effort answer."""

from __future__ import annotations

import json
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from traced import concurtrace

SCRIPT = ("import threading\ndef f():\n    return sum(range(100))\n"
          "t = threading.Thread(target=f, name='worker'); t.start(); t.join()\n")


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """One good trace of each format, and every kind of bad file made from them."""
    root = tmp_path_factory.mktemp("traces")
    script = root / "prog.py"
    script.write_text(SCRIPT)
    good = {name: root / name for name in ("good.pftrace", "good.json")}
    for path in good.values():
        done = concurtrace("run", "--quiet", "-o", str(path), str(script))
        assert done.returncode == 0, done.stderr
    made = dict(good)
    pftrace, chrome = good["good.pftrace"].read_bytes(), good["good.json"].read_bytes()
    contents = {
        "empty.pftrace": b"",
        "truncated.pftrace": pftrace[:len(pftrace) // 2],
        "truncated_tail.pftrace": pftrace[:-7],  # its first packets are whole
        "truncated.json": chrome[:len(chrome) // 2],
        "random.pftrace": random.Random(8).randbytes(20000),
        "random_after_brace.json": b"{" + random.Random(9).randbytes(2000),
        "not_a_trace.json": json.dumps({"name": "pkg", "version": "1.0"}).encode(),
        "list_not_events.json": b'[1, 2, "x"]',
    }
    for name, data in contents.items():
        (root / name).write_bytes(data)
        made[name] = root / name
    huge = root / "huge.pftrace"  # 300 MB (sparse): refused from its first bytes
    with open(huge, "wb") as stream:
        stream.seek(300 << 20)
        stream.write(b"\x00")
    made["huge.pftrace"] = huge
    plain = root / "viztracer.json"
    subprocess.run([sys.executable, "-m", "viztracer", "--quiet", "-o", str(plain), str(script)],
                   check=True, timeout=60, cwd=root)
    made["viztracer.json"] = plain
    return made


BAD = ["empty.pftrace", "truncated.pftrace", "truncated_tail.pftrace", "truncated.json",
       "random.pftrace", "random_after_brace.json", "not_a_trace.json", "list_not_events.json",
       "huge.pftrace"]


def _one_line_refusal(done: subprocess.CompletedProcess[str], path: Path) -> None:
    assert done.returncode == 2, (done.returncode, done.stdout, done.stderr)
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("concurtrace: error: "), done.stderr
    assert str(path) in lines[0] and "Traceback" not in done.stderr


@pytest.mark.parametrize("name", BAD)
@pytest.mark.parametrize("command", [["summary"], ["summary", "--json"], ["check"],
                                     ["check", "--no-nonzero-exit"]])
def test_summary_and_check_refuse(files: dict[str, Path], name: str, command: list[str]) -> None:
    started = time.monotonic()
    done = concurtrace(*command, str(files[name]))
    _one_line_refusal(done, files[name])
    assert done.stdout == "" and time.monotonic() - started < 10


@pytest.mark.parametrize("name", BAD)
def test_view_refuses_before_serving(files: dict[str, Path], name: str) -> None:
    done = concurtrace("view", "--no-browser", "--port", "0", str(files[name]), timeout=20)
    _one_line_refusal(done, files[name])
    assert "Serving" not in done.stdout and "http://" not in done.stdout


def _serves(trace: Path) -> str:
    proc = subprocess.Popen([sys.executable, "-m", "concurtrace", "view", "--no-browser",
                             "--port", "0", str(trace)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        url = proc.stdout.readline().strip()
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=10)
    finally:
        proc.kill()
    assert first.startswith("Serving") and url.startswith("http://127.0.0.1:"), (first, err)
    return url


@pytest.mark.parametrize("name", ["good.pftrace", "good.json", "viztracer.json"])
def test_good_traces_are_served(files: dict[str, Path], name: str) -> None:
    assert files[name].name in _serves(files[name])


def test_plain_viztracer_trace_gets_a_best_effort_summary(files: dict[str, Path]) -> None:
    plain = files["viztracer.json"]
    done = concurtrace("summary", "--json", str(plain))
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert [p["name"] for p in summary["processes"]] == ["MainProcess"]
    # The names the trace gives: VizTracer's is "Dummy-1" for the worker with some
    # versions of it and of CPython (seen on 3.12 and 3.13), not ours to rename.
    named = {e["args"]["name"] for e in json.loads(plain.read_text())["traceEvents"]
             if e.get("ph") == "M" and e.get("name") == "thread_name"}
    assert {t["name"] for t in summary["threads"]} == named
    assert len(named) == 2 and "MainThread" in named
    assert named - {"MainThread"} <= {"worker", "Dummy-1"}
    assert any("not a concurtrace trace" in note for note in summary["notes"])
    assert summary["processes"][0]["exit_code"] is None  # unknown, not invented
    text = concurtrace("summary", str(plain))
    worker = (named - {"MainThread"}).pop()
    assert text.returncode == 0 and worker in text.stdout and "not a concurtrace" in text.stdout
    gate = concurtrace("check", str(plain), "--no-daemon-kill")
    assert gate.returncode == 0 and gate.stdout.startswith("ok:"), gate.stdout


@pytest.mark.parametrize("name", ["good.pftrace", "good.json"])
def test_good_traces_summarise_and_pass_check(files: dict[str, Path], name: str) -> None:
    done = concurtrace("summary", "--json", str(files[name]))
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["processes"][0]["exit_code"] == 0
    assert concurtrace("check", str(files[name]), "--no-nonzero-exit").returncode == 0
