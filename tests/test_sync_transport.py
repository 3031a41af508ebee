"""The sync records' transport (model/segments.py, runner/syncbuffer.py): nothing written
is lost when a process is killed, calls os._exit or crashes; a fork child writes its own
segments; many threads write at once without losing or mixing a record."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
from traced import SCRIPTS, trace_run

from concurtrace.model.segments import CHUNKS_PER_SEGMENT, SEGMENT_GLOB, read_segments
from concurtrace.runner.syncbuffer import DEFER_LIMIT, SegmentWriter

SCRIPT = SCRIPTS / "sync_records_fate.py"
WAITS, THREADS, EACH = 5, 80, 40


def _lock_label() -> str:
    line = next(n for n, text in enumerate(SCRIPT.read_text().splitlines(), 1)
                if text.startswith("LOCK = threading.Lock()"))
    return f"Lock@sync_records_fate.py:{line} (LOCK)"


def _run(tmp_path: Path, mode: str) -> tuple[Any, Path]:
    run = trace_run(tmp_path / "t.pftrace", str(SCRIPT), mode,
                    options=("--quiet", "--light", "--keep-temp"))
    kept = re.search(r"session directory kept in (\S+)", run.stderr)
    assert kept, run.stderr
    return run, Path(kept.group(1))


@pytest.mark.parametrize(("mode", "code"), [("sigkill", 128 + 9), ("os_exit", 7),
                                            ("crash", 128 + 11)])
def test_no_record_lost_when_the_process_cannot_flush(tmp_path: Path, mode: str,
                                                      code: int) -> None:
    run, session = _run(tmp_path, mode)
    try:
        assert run.returncode == code, run.stderr
        assert list(session.glob(SEGMENT_GLOB)), "the sync records went to the segments"
        objects = {o["label"]: o for o in run.summary()["sync"]["objects"]}
        lock = objects[_lock_label()]
        # every hand-off kept (wait, its end, the release that ended it), and the last wait
        # still open when the process died
        assert (lock["waits"], lock["open_waits"]) == (WAITS + 1, 1), lock
        assert [h["contended_holds"] for h in lock["holders"]] == [WAITS], lock
    finally:
        shutil.rmtree(session, ignore_errors=True)


def test_fork_child_writes_its_own_segments(tmp_path: Path) -> None:
    run, session = _run(tmp_path, "fork")
    try:
        assert run.returncode == 0, run.stderr
        pids = {}
        for path in session.glob(SEGMENT_GLOB):
            writer = int(path.name.split("-")[1])
            found = {json.loads(line)["pid"] for line in
                     path.read_bytes().replace(b"\0", b"").splitlines() if line}
            pids[path.name] = (writer, found)
        assert len({writer for writer, _ in pids.values()}) == 2, pids
        assert all(found == {writer} for writer, found in pids.values()), pids
        locks = [o for o in run.summary()["sync"]["objects"] if o["label"] == _lock_label()]
        assert sorted(o["waits"] for o in locks) == [WAITS, WAITS], locks
    finally:
        shutil.rmtree(session, ignore_errors=True)


def test_many_threads_write_at_once(tmp_path: Path) -> None:
    run, session = _run(tmp_path, "threads")
    try:
        assert run.returncode == 0, run.stderr
        assert len(list(session.glob(SEGMENT_GLOB))) >= 2  # chunks ran out: a new segment
        events = [r for r in read_segments(session) if r["ev"] == "wait_begin"
                  and r["label"].startswith("Event@sync_records_fate.py")]
        per_thread: dict[int, int] = {}
        for record in events:
            per_thread[record["tid"]] = per_thread.get(record["tid"], 0) + 1
        assert sorted(per_thread.values()) == [EACH] * THREADS
        assert run.summary()["sync"]["waits"] >= THREADS * EACH
    finally:
        shutil.rmtree(session, ignore_errors=True)


def test_writer_keeps_every_record_of_racing_threads(tmp_path: Path) -> None:
    """In process: 16 threads append 3000 records each, rolling over chunks and segments."""
    fallback: list[dict[str, Any]] = []
    writer = SegmentWriter(str(tmp_path), os.getpid(), 2, fallback.append)

    def write(n: int) -> None:
        for i in range(3000):
            writer.write({"ev": "sync_signal", "ts": i, "tid": n, "obj": 1, "op": "x" * (i % 90)})

    threads = [threading.Thread(target=write, args=(n,)) for n in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    got = sorted((r["tid"], r["ts"]) for r in read_segments(tmp_path))
    assert not fallback
    assert got == sorted((n, i) for n in range(16) for i in range(3000))
    assert len(list(tmp_path.glob(SEGMENT_GLOB))) * CHUNKS_PER_SEGMENT >= 16


def test_oversized_and_reentrant_records_go_to_the_fallback(tmp_path: Path) -> None:
    fallback: list[dict[str, Any]] = []
    writer = SegmentWriter(str(tmp_path), os.getpid(), 2, fallback.append)
    writer.write({"ev": "wait_begin", "ts": 1, "label": "x" * 100_000})
    writer._local.busy = True  # as a signal handler inside a write of this thread sees it
    writer.write({"ev": "wait_end", "ts": 2})
    writer._local.busy = False
    writer.write({"ev": "wait_end", "ts": 3})
    assert [r["ts"] for r in fallback] == [1, 2]
    assert [r["ts"] for r in read_segments(tmp_path)] == [3]


def test_a_fork_that_ran_no_handler_of_ours_does_not_write_into_the_parents_segments(
        tmp_path: Path) -> None:
    """os.fork from C code runs no at-fork handler: the child's writer is still the
    parent's, and its records must go elsewhere (the fallback), not into the mappings."""
    fallback: list[dict[str, Any]] = []
    writer = SegmentWriter(str(tmp_path), os.getpid(), 2, fallback.append)
    writer.write({"ev": "wait_end", "ts": 1})
    pid = os.fork()  # the writer has no handler registered: as a C extension's fork
    if pid == 0:
        writer.write({"ev": "wait_end", "ts": 2})
        os._exit(0 if not list(read_segments(tmp_path))[1:] else 1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert [r["ts"] for r in read_segments(tmp_path)] == [1]


def test_reader_leaves_a_line_being_written_for_later(tmp_path: Path) -> None:
    """A chunk's records are its complete lines before the first NUL: a line still being
    copied (or torn by a kill) is not read until its newline is there."""
    from concurtrace.model.segments import CHUNK_BYTES, SEGMENT_BYTES, SegmentReader

    path = tmp_path / "sync-1-2-00000.seg"
    data = bytearray(SEGMENT_BYTES)
    first = b'{"ev":"wait_begin","ts":1}\n{"ev":"wait_end"'
    data[CHUNK_BYTES:CHUNK_BYTES + len(first)] = first
    path.write_bytes(bytes(data))
    reader = SegmentReader(path)
    assert [r["ts"] for r in reader.poll()] == [1]
    assert reader.poll() == []
    rest = b',"ts":2}\n'
    data[CHUNK_BYTES + len(first):CHUNK_BYTES + len(first) + len(rest)] = rest
    path.write_bytes(bytes(data))
    assert [r["ts"] for r in reader.poll()] == [2]
    assert SegmentReader(tmp_path / "absent.seg").poll() == []
    (tmp_path / "short.seg").write_bytes(b'{"ev":"x"}\n')  # killed before it was reserved
    assert SegmentReader(tmp_path / "short.seg").poll() == []


def test_a_recorded_hand_off_keeps_the_gil(tmp_path: Path) -> None:
    """tests/scripts/handoff_order.py: after a recorded release, the releaser goes on before
    the threads waiting for the GIL, as without concurtrace. With os.write (which releases
    the GIL) another thread ran first in about 8 of its 10 rounds."""
    script = SCRIPTS / "handoff_order.py"
    plain = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                           timeout=60)
    run = trace_run(tmp_path / "t.pftrace", str(script), options=("--quiet", "--light"))
    assert run.returncode == plain.returncode == 0, run.stderr
    # A loaded machine lets another thread in now and then even without us (1 round in 15
    # seen once): allow one more such round than the plain run had.
    assert run.stdout.split().count("other") <= plain.stdout.split().count("other") + 1, \
        (run.stdout, plain.stdout)


def test_a_segment_is_mapped_for_random_access(tmp_path: Path) -> None:
    """Without MADV_RANDOM the first record's page fault read ahead (zeroed) up to the
    device's read-ahead window of the fresh file: ~0.7 ms of CPU in every pool worker
    (bench/README.md, "pool16's start and exit"). The kernel shows the advice as "rr"."""
    writer = SegmentWriter(str(tmp_path), os.getpid(), 2, lambda record: None)
    writer.prepare()
    writer.write({"ev": "wait_end", "ts": 1})
    smaps = Path("/proc/self/smaps").read_text().split("\n")
    starts = [i for i, line in enumerate(smaps) if line.rstrip().endswith(".seg")
              and str(tmp_path) in line]
    assert starts, "the segment is mapped"
    flags = next(line for line in smaps[starts[0]:] if line.startswith("VmFlags:"))
    assert " rr" in flags, flags
    writer.abandon()


def test_a_deferring_writer_makes_its_segment_at_a_thread_or_the_limit(tmp_path: Path) -> None:
    """A fork child's writer (defer): its records go to the fallback while no thread has
    started since it was made and fewer than DEFER_LIMIT went there; then to a segment."""
    for case in ("limit", "thread"):
        directory = tmp_path / case
        directory.mkdir()
        fallback: list[dict[str, Any]] = []
        writer = SegmentWriter(str(directory), os.getpid(), 2, fallback.append, defer=True)
        for ts in range(3):
            writer.write({"ev": "wait_end", "ts": ts})
        assert not list(directory.glob(SEGMENT_GLOB)) and len(fallback) == 3
        if case == "limit":
            for ts in range(3, DEFER_LIMIT + 5):
                writer.write({"ev": "wait_end", "ts": ts})
            assert len(fallback) == DEFER_LIMIT
            assert [r["ts"] for r in read_segments(directory)] == list(range(DEFER_LIMIT,
                                                                          DEFER_LIMIT + 5))
        else:
            release = threading.Event()
            thread = threading.Thread(target=release.wait)
            thread.start()
            writer.write({"ev": "wait_end", "ts": 3})
            release.set()
            thread.join()
            writer.write({"ev": "wait_end", "ts": 4})  # segments from then on
            assert len(fallback) == 3
            assert [r["ts"] for r in read_segments(directory)] == [3, 4]
        writer.abandon()


def test_a_fork_child_without_threads_writes_its_records_to_its_life_file(
        tmp_path: Path) -> None:
    """A pool worker's start: no segment file of its own (bench/README.md, "pool16's worker
    start and exit"): its recorded wait is in its life file and in the summary."""
    script = tmp_path / "forked_get.py"
    script.write_text(
        "import multiprocessing, os, time\n"
        "if __name__ == '__main__':\n"
        "    tasks = multiprocessing.SimpleQueue()\n"
        "    pid = os.fork()\n"
        "    if pid == 0:\n"
        "        tasks.get()\n"
        "        os._exit(0)\n"
        "    time.sleep(0.3)\n"
        "    tasks.put('go')\n"
        "    os.waitpid(pid, 0)\n")
    run = trace_run(tmp_path / "t.pftrace", str(script),
                    options=("--quiet", "--light", "--keep-temp"))
    kept = re.search(r"session directory kept in (\S+)", run.stderr)
    assert run.returncode == 0 and kept, run.stderr
    session = Path(kept.group(1))
    try:
        writers = {int(path.name.split("-")[1]) for path in session.glob(SEGMENT_GLOB)}
        lives = {int(path.name.split("-")[1]): path for path in session.glob("life-*.jsonl")}
        # the parent's segment and life file only: the child appends to the life file it
        # inherited, each record with its own pid
        assert len(lives) == 1 and set(lives) == writers, (lives, writers)
        records = [json.loads(line) for line in next(iter(lives.values())).read_text()
                   .splitlines()]
        pids = {r["pid"] for r in records if r["ev"] == "hello"}
        assert len(pids) == 2 and writers < pids, records
        child_pid = next(iter(pids - writers))
        events = [r["ev"] for r in records if r["pid"] == child_pid]
        assert events[0] == "hello", events
        assert events.count("wait_begin") == events.count("wait_end") == 1, events
        waits = [o for o in run.summary()["sync"]["objects"]
                 if o["label"].startswith("mp.SimpleQueue@forked_get.py")]
        assert [o["waits"] for o in waits] == [1], waits
    finally:
        shutil.rmtree(session, ignore_errors=True)
