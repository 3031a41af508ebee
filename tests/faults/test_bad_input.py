"""Bad input to `concurtrace run`: one line, exit status 2, and nothing runs.

Every target here would create a marker file if it ran; its absence proves the check came
before the run (a refusal after the run would lose the user's run).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from traced import concurtrace, summary_json


def _marker_code(marker: Path) -> str:
    return f"open({str(marker)!r}, 'w').write('ran')"


def _refused(done: subprocess.CompletedProcess[str], *words: str) -> None:
    """Exit 2, one line of ours, naming what is wrong."""
    assert done.returncode == 2, (done.returncode, done.stderr)
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("concurtrace: error: "), done.stderr
    assert all(word in lines[0] for word in words), lines[0]


@pytest.mark.parametrize(("option", "value"), [
    ("--sample-hz", "0"), ("--sample-hz", "-5"), ("--sample-hz", "nan"), ("--sample-hz", "inf"),
    ("--timeout", "0"), ("--timeout", "-1"), ("--timeout", "nan"), ("--timeout", "inf"),
    ("--tracer-entries", "0"), ("--tracer-entries", "-1"),
    ("--max-stack-depth", "-2"), ("--min-duration", "-1"), ("--min-duration", "nan"),
])
def test_bad_numbers(tmp_path: Path, option: str, value: str) -> None:
    marker = tmp_path / "ran"
    done = concurtrace("run", "--quiet", "-o", str(tmp_path / "t.pftrace"), option, value,
                       "-c", _marker_code(marker))
    _refused(done, option)
    assert not marker.exists()


@pytest.mark.parametrize("args", [
    ["--no-such-option"],
    ["--sample-hz", "fast"],
    ["--tracer-entries", "1.5"],
])
def test_option_parsing_errors_are_click_usage_errors(tmp_path: Path, args: list[str]) -> None:
    # Click's own format (usage line, hint, the error), exit status 2, no traceback.
    marker = tmp_path / "ran"
    done = concurtrace("run", *args, "-c", _marker_code(marker))
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
    assert "Usage: concurtrace run" in done.stderr and args[0] in done.stderr
    assert not marker.exists()


def test_missing_script_and_directory_script(tmp_path: Path) -> None:
    _refused(concurtrace("run", str(tmp_path / "missing.py")), "no such script")
    (tmp_path / "broken.py").symlink_to(tmp_path / "nowhere.py")
    _refused(concurtrace("run", str(tmp_path / "broken.py")), "no such script")
    _refused(concurtrace("run", str(tmp_path)), "is a directory")


@pytest.fixture
def shared_dir() -> Iterator[Path]:
    """A directory an unprivileged user can enter (pytest's tmp_path is 0700 for root)."""
    path = Path(tempfile.mkdtemp(prefix="concurtrace-test-"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path)


NOBODY = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]


def _mode_000_script(directory: Path, marker: Path) -> Path:
    script = directory / "secret.py"
    script.write_text(_marker_code(marker) + "\n")
    script.chmod(0)
    return script


def test_unreadable_script(shared_dir: Path) -> None:
    marker = shared_dir / "ran"
    script = _mode_000_script(shared_dir, marker)
    if os.geteuid() == 0:  # root reads anything: be an unprivileged user for real
        if shutil.which("setpriv") is None:
            pytest.skip("needs setpriv to drop root")
        probe = subprocess.run([*NOBODY, sys.executable, "-c", "import concurtrace"],
                               capture_output=True, timeout=60)
        if probe.returncode != 0:
            pytest.skip("this interpreter cannot run as an unprivileged user")
        prefix = NOBODY
    else:
        prefix = []

    def run(*argv: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*prefix, *argv], cwd=shared_dir, capture_output=True,
                              text=True, timeout=60)

    plain = run(sys.executable, str(script))
    assert plain.returncode == 2 and "Permission denied" in plain.stderr, plain.stderr
    _refused(run(sys.executable, "-m", "concurtrace", "run", str(script)), "cannot read",
             "permission denied")
    assert not marker.exists()


@pytest.mark.skipif(os.geteuid() != 0, reason="about root only")
def test_mode_000_script_runs_for_root_as_with_python(shared_dir: Path) -> None:
    # root reads a mode-000 file (CAP_DAC_OVERRIDE): so does plain python, and so do we.
    marker = shared_dir / "ran"
    script = _mode_000_script(shared_dir, marker)
    assert subprocess.run([sys.executable, str(script)], timeout=60).returncode == 0
    assert marker.read_text() == "ran"
    marker.unlink()
    out = shared_dir / "t.pftrace"
    assert concurtrace("run", "--quiet", "-o", str(out), str(script)).returncode == 0
    assert marker.exists() and summary_json(out)["processes"][0]["exit_code"] == 0


def test_output_directory_missing_or_not_writable(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    code = _marker_code(marker)
    _refused(concurtrace("run", "-o", str(tmp_path / "no" / "t.pftrace"), "-c", code),
             "does not exist")
    # Not writable even for root (os.access says yes to root): procfs refuses new files.
    _refused(concurtrace("run", "-o", "/proc/t.pftrace", "-c", code), "not writable")
    assert not marker.exists()


def test_output_directory_immutable(tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    if subprocess.run(["chattr", "+i", str(locked)], capture_output=True).returncode != 0:
        pytest.skip("chattr +i is not available here")
    try:
        marker = tmp_path / "ran"
        done = concurtrace("run", "-o", str(locked / "t.pftrace"), "-c", _marker_code(marker))
        _refused(done, "not writable")
        assert not marker.exists() and not any(locked.iterdir()), "no probe file left behind"
    finally:
        subprocess.run(["chattr", "-i", str(locked)], check=True)


def test_existing_output_is_kept_without_force_and_replaced_with_it(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    out = tmp_path / "t.pftrace"
    out.write_text("keep me")
    _refused(concurtrace("run", "-o", str(out), "-c", _marker_code(marker)), "--force")
    assert out.read_text() == "keep me" and not marker.exists()
    done = concurtrace("run", "--quiet", "--force", "-o", str(out), "-c", _marker_code(marker))
    assert done.returncode == 0 and marker.exists(), done.stderr
    assert summary_json(out)["processes"][0]["exit_code"] == 0
    assert not list(tmp_path.glob(".t.pftrace.*")), "no temporary file left behind"


def test_script_with_invalid_bytes_is_python_s_syntax_error(tmp_path: Path) -> None:
    # Readable but not valid source: Python's own message and status, and a trace of it.
    script = tmp_path / "latin1.py"
    script.write_bytes(b"print('caf\xe9')\n")
    plain = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                           timeout=60)
    out = tmp_path / "l.pftrace"
    done = concurtrace("run", "--quiet", "-o", str(out), str(script))
    assert done.returncode == plain.returncode == 1
    message = "SyntaxError: Non-UTF-8 code"
    assert message in plain.stderr and message in done.stderr
    root = summary_json(out)["processes"][0]
    assert root["exit_code"] == 1 and root["exc_type"] == "SyntaxError"
