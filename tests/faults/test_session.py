"""The session directory: private while the run lasts, gone after it, kept on request."""

from __future__ import annotations

import json
import stat
from pathlib import Path

from traced import concurtrace, summary_json

# The target (and a child of it) report the session directory and every mode in it.
LIST_SESSION = """
import json, os, stat, subprocess, sys
subprocess.run([sys.executable, "-c", "pass"], check=True)  # a child leaves its files too
session = os.environ["CONCURTRACE_SESSION"]
modes = {}
for root, dirs, files in os.walk(session):
    for name in dirs + files:
        path = os.path.join(root, name)
        modes[os.path.relpath(path, session)] = stat.S_IMODE(os.lstat(path).st_mode)
print(json.dumps({"session": session, "mode": stat.S_IMODE(os.stat(session).st_mode),
                  "modes": modes}))
"""


def _run(tmp_path: Path, *options: str) -> tuple[dict[str, object], str]:
    script = tmp_path / "list.py"
    script.write_text(LIST_SESSION)
    out = tmp_path / "t.pftrace"
    done = concurtrace("run", "--quiet", *options, "-o", str(out), str(script))
    assert done.returncode == 0, done.stderr
    assert summary_json(out)["processes"][0]["exit_code"] == 0
    seen: dict[str, object] = json.loads(done.stdout)
    return seen, done.stderr


def _assert_private(session: Path, mode: object, modes: dict[str, int]) -> None:
    assert mode == 0o700
    files = {name: m for name, m in modes.items()
             if not stat.S_ISLNK((session / name).lstat().st_mode)}
    assert any(name.startswith("life-") for name in files)
    assert any(name.startswith("trace-") for name in files), "the child's dump is there"
    for name, file_mode in files.items():
        expected = 0o700 if (session / name).is_dir() else 0o600
        assert file_mode == expected, f"{name}: {oct(file_mode)}"


def test_session_is_private_and_removed(tmp_path: Path) -> None:
    seen, err = _run(tmp_path)
    session = Path(str(seen["session"]))
    assert not session.exists(), "removed after the run"
    assert str(session) not in err
    modes = seen["modes"]
    assert isinstance(modes, dict) and seen["mode"] == 0o700
    assert {name.split("-")[0] for name in modes} >= {"life", "trace", "config.json", "site"}
    for name, mode in modes.items():
        if name != "site/concurtrace":  # the symlink to our package
            assert mode == (0o700 if name == "site" else 0o600), f"{name}: {oct(mode)}"


def test_keep_temp_keeps_it_private_and_says_where(tmp_path: Path) -> None:
    seen, err = _run(tmp_path, "--keep-temp")
    session = Path(str(seen["session"]))
    try:
        assert session.is_dir()
        assert f"concurtrace: session directory kept in {session}" in err.splitlines()
        # After the run: every file the tree wrote, the root's dump included.
        modes = {str(p.relative_to(session)): stat.S_IMODE(p.lstat().st_mode)
                 for p in session.rglob("*")}
        assert len([name for name in modes if name.startswith("trace-")]) == 2
        _assert_private(session, stat.S_IMODE(session.stat().st_mode), modes)
    finally:
        for path in sorted(session.rglob("*"), reverse=True):
            path.unlink() if not path.is_dir() or path.is_symlink() else path.rmdir()
        session.rmdir()
