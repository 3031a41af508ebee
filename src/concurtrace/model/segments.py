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

import json
import mmap
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

CHUNK_BYTES = 32 * 1024
CHUNKS_PER_SEGMENT = 64
SEGMENT_BYTES = CHUNK_BYTES * CHUNKS_PER_SEGMENT  # 2 MiB
SEGMENT_GLOB = "sync-*.seg"
SYNC_EVENTS = frozenset({"wait_begin", "wait_end", "sync_signal", "exit_wait"})


def segment_name(pid: int, stamp: int, index: int) -> str:
    return f"sync-{pid}-{stamp}-{index:05d}.seg"


def _lines(data: bytes) -> Iterator[dict[str, Any]]:
    for raw in data.split(b"\n"):
        try:
            record = json.loads(raw)
        except ValueError:
            continue
        if isinstance(record, dict) and "ev" in record:
            yield record


class SegmentReader:
    """One segment file, read as it grows: each poll() returns the lines completed since."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._map: mmap.mmap | None = None
        self._done = [0] * CHUNKS_PER_SEGMENT  # per chunk: bytes already returned

    def _mapped(self) -> mmap.mmap | None:
        if self._map is None:
            try:
                with open(self.path, "rb") as stream:
                    if os.fstat(stream.fileno()).st_size < SEGMENT_BYTES:
                        return None  # its writer was killed before it was reserved
                    self._map = mmap.mmap(stream.fileno(), SEGMENT_BYTES, access=mmap.ACCESS_READ)
            except (OSError, ValueError):
                return None
        return self._map

    def poll_bytes(self) -> list[bytes]:
        """The new complete lines of each chunk (one bytes per chunk that grew)."""
        view = self._mapped()
        if view is None:
            return []
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
        return [record for data in self.poll_bytes() for record in _lines(data)]

    def close(self) -> None:
        if self._map is not None:
            self._map.close()
            self._map = None


def read_segments(directory: Path) -> Iterator[dict[str, Any]]:
    """Every record of every segment of a session (the run has ended)."""
    for path in sorted(directory.glob(SEGMENT_GLOB)):
        reader = SegmentReader(path)
        try:
            yield from reader.poll()
        finally:
            reader.close()
