"""Sync records in shared-memory segments: the layout the writer and the readers share.

The sync hooks (runner/hooks_sync*.py) write model/sync.py's records, one JSON line each
as in life-*.jsonl, into MAP_SHARED mappings of files sync-<pid>-<stamp>-<n>.seg
(runner/syncbuffer.py). A copy into a mapping keeps the GIL, where os.write releases it
and reorders a lock convoy; the pages are the file's page cache, so what a process wrote
survives its SIGKILL, os._exit or crash. Each file is SEGMENT_BYTES, reserved at once,
cut in CHUNK_BYTES chunks; a thread appends to a chunk of its own (no lock between
threads) and takes a new one when it is full. JSON is ASCII here, never NUL: a chunk's
records are its complete lines before its first NUL byte (a line being copied, or torn
by a kill, has no newline yet and is left for later).
"""

from __future__ import annotations

import mmap
import os
import sys
from collections.abc import Iterable, Iterator

TYPE_CHECKING = False  # not typing's: importing typing costs every traced process

if TYPE_CHECKING:  # the parent passes Paths; the traced process never imports pathlib
    from pathlib import Path
    from typing import Any

CHUNK_BYTES = 32 * 1024
CHUNKS_PER_SEGMENT = 64
SEGMENT_BYTES = CHUNK_BYTES * CHUNKS_PER_SEGMENT  # 2 MiB
SEGMENT_GLOB = "sync-*.seg"
# 3.13+: the mapping keeps no duplicate of the file's fd (before, each mapping holds one
# more fd of the program's, and the reader one per file it reads).
NO_FD: dict[str, bool] = {"trackfd": False} if sys.version_info >= (3, 13) else {}
SYNC_EVENTS = frozenset({"wait_begin", "wait_end", "sync_signal", "exit_wait", "lock_counts"})


def segment_name(pid: int, stamp: int, index: int) -> str:
    return f"sync-{pid}-{stamp}-{index:05d}.seg"


def parse_lines(lines: Iterable[bytes]) -> Iterator[dict[str, Any]]:
    """The records of JSON lines; a torn or foreign line (killed mid-write) is skipped."""
    import json  # here: the traced child writes these lines, only the reader parses them

    for raw in lines:
        try:
            record = json.loads(raw)
        except ValueError:
            continue
        if isinstance(record, dict) and "ev" in record:
            yield record


class SegmentReader:
    """One segment file, read as it grows: each poll() returns the lines completed since.
    It maps the file only while it reads (no fd kept between polls)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._done = [0] * CHUNKS_PER_SEGMENT  # per chunk: bytes already returned

    def poll_bytes(self) -> list[bytes]:
        """The new complete lines of each chunk (one bytes per chunk that grew)."""
        try:
            with open(self.path, "rb") as stream:
                if os.fstat(stream.fileno()).st_size < SEGMENT_BYTES:
                    return []  # its writer was killed before it was reserved
                view = mmap.mmap(stream.fileno(), SEGMENT_BYTES, access=mmap.ACCESS_READ,
                                 **NO_FD)
        except (OSError, ValueError):
            return []
        try:
            return self._scan(view)
        finally:
            view.close()

    def _scan(self, view: mmap.mmap) -> list[bytes]:
        out: list[bytes] = []
        for index in range(CHUNKS_PER_SEGMENT):
            base = index * CHUNK_BYTES
            start = base + self._done[index]
            if start >= base + CHUNK_BYTES or view[start] == 0:
                continue
            nul = view.find(b"\0", start, base + CHUNK_BYTES)
            end = view.rfind(b"\n", start, nul if nul >= 0 else base + CHUNK_BYTES)
            if end < 0:
                continue
            out.append(view[start:end + 1])
            self._done[index] = end + 1 - base
        return out

    def poll(self) -> list[dict[str, Any]]:
        return [record for data in self.poll_bytes() for record in parse_lines(data.split(b"\n"))]


def read_segments(directory: Path) -> Iterator[dict[str, Any]]:
    """Every record of every segment of a session (the run has ended)."""
    for path in sorted(directory.glob(SEGMENT_GLOB)):
        yield from SegmentReader(path).poll()
