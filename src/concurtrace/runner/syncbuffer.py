"""The sync records' writer: appends to shared-memory segments, never releasing the GIL.

os.write releases the GIL: each recorded hand-off let other threads in, and a convoy of
40 workers leaving a Barrier queued on its lock instead of on the GIL. A copy into a
MAP_SHARED mapping (model/segments.py has the layout) is a memcpy under the GIL; the
pages belong to the file, so a SIGKILL, os._exit or crash loses nothing written. Only
taking a new segment (every CHUNKS_PER_SEGMENT chunks) makes system calls. A record that
cannot go there (larger than a chunk, written from a signal handler that interrupted a
write of the same thread, no space for a segment) goes to the fallback (os.write), so
nothing is lost. A fork child gets a writer of its own (bootstrap): the parent's
mappings are inherited, and writing into them would mix the child's records in.

A fork child makes its first segment only when it needs it (defer): while no thread has
started in it since the fork, os.write has no other thread of it to let in, and its first
DEFER_LIMIT records go to the fallback. A pool worker writes a few (its waits for tasks,
its results' signals): creating a segment file cost it more than they do (an O_CREAT,
90-330 µs of CPU on ext4 here; bench/README.md, "pool16's worker start and exit").
"""

from __future__ import annotations

import _thread
import errno
import itertools
import mmap
import os
import sys
from collections.abc import Callable

from concurtrace.model.jsonline import dumps
from concurtrace.model.segments import (
    CHUNK_BYTES,
    CHUNKS_PER_SEGMENT,
    NO_FD,
    SEGMENT_BYTES,
    segment_name,
)
from concurtrace.runner.hookset import SinkRecord

TYPE_CHECKING = False  # not typing's: importing typing costs every traced process
if TYPE_CHECKING:
    from typing import Any

_encode = dumps  # json.dumps' text, ASCII: never a NUL
DEFER_LIMIT = 64  # ~6 µs each through os.write: at most about one segment's creation
# Threads started since interpreter start, minus those ended; not reset by a fork, so a
# fork child compares it with its value at the fork (None: no such count, never defer).
_thread_count = getattr(_thread, "_count", None)


def _reserve(fd: int) -> None:
    """Blocks reserved, not a sparse hole: a store into a hole on a full disk is a SIGBUS."""
    try:
        os.posix_fallocate(fd, 0, SEGMENT_BYTES)
    except OSError as error:
        if error.errno not in (errno.EOPNOTSUPP, errno.EINVAL, errno.ENOSYS):
            raise
        os.ftruncate(fd, SEGMENT_BYTES)  # a file system without it: sparse, as it can


def _no_readahead(view: mmap.mmap) -> None:
    """A store into a page not yet in the page cache faults it in with readahead: on ext4
    that zeroed (as unwritten) some 128 KiB around it, ~0.7 ms of CPU for the first record
    of every process (a pool worker's). MADV_RANDOM faults in that one page (~10 µs)."""
    advice = getattr(mmap, "MADV_RANDOM", None)
    if advice is not None:
        try:
            view.madvise(advice)
        except OSError:  # only advice: without it, the same records, more slowly
            pass


class SegmentWriter:
    def __init__(self, directory: str, pid: int, stamp: int,
                 fallback: Callable[[SinkRecord], None], defer: bool = False) -> None:
        self.directory, self.pid, self.stamp, self.fallback = directory, pid, stamp, fallback
        # (thread count at the fork, records deferred so far) while deferring (docstring)
        self._alone: list[int] | None = \
            [_thread_count(), 0] if defer and _thread_count is not None else None
        self._maps: dict[int, mmap.mmap] = {}
        self._chunks = itertools.count()  # next() is atomic under the GIL
        gil = getattr(sys, "_is_gil_enabled", lambda: True)()
        self._chunk_lock = None if gil else _thread.allocate_lock()  # free-threaded builds
        self._local = _thread._local()
        self.broken = False  # a segment could not be made: everything goes to the fallback

    def write(self, record: SinkRecord) -> None:
        local = self._local
        # A signal handler inside a write of this thread; or a fork that ran no handler of
        # ours (a C extension's fork()): the mappings are the parent's.
        if self.broken or getattr(local, "busy", False) or os.getpid() != self.pid:
            self.fallback(record)
            return
        alone = self._alone
        if alone is not None:
            if _thread_count() == alone[0] and alone[1] < DEFER_LIMIT:  # type: ignore[misc]
                alone[1] += 1
                self.fallback(record)
                return
            self._alone = None  # a thread started, or enough records: segments from now on
        local.busy = True
        try:
            record.setdefault("pid", self.pid)
            data = (_encode(record) + "\n").encode("ascii", "replace")
            size = len(data)
            pos = getattr(local, "pos", 0)
            if pos + size > getattr(local, "end", 0):
                if size > CHUNK_BYTES or not self._take_chunk(local):
                    self.fallback(record)
                    return
                pos = local.pos
            local.chunk[pos:pos + size] = data
            local.pos = pos + size
        finally:
            local.busy = False

    def _take_chunk(self, local: Any) -> bool:
        if self._chunk_lock is not None:
            with self._chunk_lock:
                index = next(self._chunks)
        else:
            index = next(self._chunks)
        segment, slot = divmod(index, CHUNKS_PER_SEGMENT)
        view = self._maps.get(segment)
        if view is None:
            view = self._map_segment(segment)
            if view is None:
                return False
        local.chunk, local.pos = view, slot * CHUNK_BYTES
        local.end = local.pos + CHUNK_BYTES
        return True

    def _map_segment(self, segment: int) -> mmap.mmap | None:
        path = os.path.join(self.directory, segment_name(self.pid, self.stamp, segment))
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            try:
                _reserve(fd)
                view = mmap.mmap(fd, SEGMENT_BYTES, mmap.MAP_SHARED,
                                 mmap.PROT_READ | mmap.PROT_WRITE, **NO_FD)
                _no_readahead(view)
            finally:
                os.close(fd)
        except (OSError, ValueError, OverflowError):
            self.broken = True
            return None
        kept = self._maps.setdefault(segment, view)  # two threads at once: both use one
        if kept is not view:
            view.close()
        return kept

    def prepare(self) -> None:
        """Reserve the first segment now (at start-up), not in the first recorded wait."""
        if 0 not in self._maps:
            self._map_segment(0)

    def abandon(self) -> None:
        """In a fork child: unmap the parent's segments here (the parent keeps them)."""
        self.broken = True
        for view in self._maps.values():
            try:
                view.close()
            except (OSError, ValueError, BufferError):
                pass
        self._maps.clear()
