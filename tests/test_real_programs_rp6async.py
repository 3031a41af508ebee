"""Patterns of real asyncio programs (aiosqlite, websockets, httpx + uvicorn, redis-py,
pytest-asyncio, uvloop) reproduced in small scripts: what concurtrace changed or showed
wrong on them (bench/README.md, "Real programs, round 6 (rp6async)")."""

from __future__ import annotations

from pathlib import Path

from traced import SCRIPTS, plain_run, runs_as_plain


def test_threads_started_under_full_mode_keep_their_default_names(tmp_path: Path) -> None:
    """3.12+ full mode: VizTracer's first event in each new thread made threading create a
    _DummyThread, whose "Dummy-N" took a number from the program's own "Thread-N" counter:
    after one to_thread and asyncio.run's executor shutdown the next Thread was named
    "Thread-5" (plain: "Thread-3"). runs_as_plain compares the output of both modes."""
    script = SCRIPTS / "thread_default_names.py"
    plain = plain_run(script, tmp_path)
    assert plain.returncode == 0 and plain.stdout.splitlines()[-1] == "Thread-3 (<lambda>)", \
        plain
    for _, summary in runs_as_plain(script, tmp_path, plain):
        names = sorted(t["name"] for t in summary["threads"])
        assert names == ["MainThread", "Thread-1 (<lambda>)", "Thread-2 (_do_shutdown)",
                         "asyncio_0"], names
