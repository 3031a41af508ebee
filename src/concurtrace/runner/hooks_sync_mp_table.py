"""Who holds each multiprocessing lock, and whether anyone waits for it, seen by every
process of the traced tree: one small shared file in the session directory, mapped by
each process that uses a multiprocessing lock.

A lock's slot is found by a hash of its identity (its semaphore's name, or creator pid
and handle for a fork-context lock) that every process computes alike. A slot holds
(key, holder pid, holder tid, since) and 16 waiter bytes. Stores are plain, not atomic:
each waiter counts itself in its own byte (picked by its pid and tid), so two waiters
lose a count only when they share a byte and count in the same instant (the release then
writes no signal for that wait, which stays without a releaser); a slot shared by two
identities names no holder (the key differs). Nothing here changes what a lock does.
"""

from __future__ import annotations

import mmap
import os
import struct
import threading
import zlib
from typing import Any

SLOTS = 4096
HEAD = struct.Struct("<IIIIQ")  # key, holder pid, holder tid, unused, since (ns)
WAITERS = 16  # bytes: a waiter's count, in the byte its (pid, tid) picks
SLOT_SIZE = HEAD.size + WAITERS
NOBODY = bytes(WAITERS)
FILE_NAME = "sync-holders.bin"


class HolderTable:
    def __init__(self) -> None:
        self.map: mmap.mmap | None = None
        self.path: str | None = None
        self.failed = False

    def configure(self, session: Any) -> None:
        self.path = os.path.join(str(session), FILE_NAME) if session else None

    def _open(self) -> mmap.mmap | None:
        if self.failed or self.path is None:
            return None
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            try:
                size = SLOTS * SLOT_SIZE
                if os.fstat(fd).st_size < size:
                    os.ftruncate(fd, size)  # zeros; two processes doing it at once agree
                self.map = mmap.mmap(fd, size, mmap.MAP_SHARED)
            finally:
                os.close(fd)
        except (OSError, ValueError):
            self.failed = True  # no table: waits are still recorded, without holders
        return self.map

    @staticmethod
    def key(identity: str) -> tuple[int, int]:
        """(key, byte offset): key is never 0 (0 marks an empty slot)."""
        crc = zlib.crc32(identity.encode()) or 1
        return crc, (crc % SLOTS) * SLOT_SIZE

    def took(self, key: int, offset: int, pid: int, tid: int, since: int) -> None:
        table = self.map or self._open()
        if table is None:
            return
        if HEAD.unpack_from(table, offset)[0] != key:  # a new identity here: its own slot
            table[offset + HEAD.size:offset + SLOT_SIZE] = NOBODY
        HEAD.pack_into(table, offset, key, pid, tid, 0, since)

    def holder(self, key: int, offset: int) -> tuple[int, int, int] | None:
        """(pid, tid, since) of the last recorded holder, or None."""
        table = self.map or self._open()
        if table is None:
            return None
        got, pid, tid, _unused, since = HEAD.unpack_from(table, offset)
        return (pid, tid, since) if got == key and pid else None

    def waiting(self, key: int, offset: int) -> tuple[bool, int, int]:
        """(anyone waiting, holder tid, since): a release writes a signal only if so."""
        table = self.map
        if table is None:
            return (False, 0, 0)
        got, _pid, tid, _unused, since = HEAD.unpack_from(table, offset)
        if got != key:
            return (False, 0, 0)
        return (table[offset + HEAD.size:offset + SLOT_SIZE] != NOBODY, tid, since)

    def add_waiter(self, key: int, offset: int, delta: int) -> None:
        table = self.map or self._open()
        if table is None:
            return
        if HEAD.unpack_from(table, offset)[0] != key:
            HEAD.pack_into(table, offset, key, 0, 0, 0, 0)
            table[offset + HEAD.size:offset + SLOT_SIZE] = NOBODY
        mine = offset + HEAD.size + (os.getpid() * 31 + threading.get_native_id()) % WAITERS
        table[mine] = min(255, max(0, table[mine] + delta))

    def released(self, key: int, offset: int, tid: int) -> None:
        """Clears the holder, unless another has taken the lock since (it wrote itself)."""
        table = self.map
        if table is None:
            return
        got, pid, holder, _unused, _since = HEAD.unpack_from(table, offset)
        if got == key and holder == tid and pid == os.getpid():
            HEAD.pack_into(table, offset, key, 0, 0, 0, 0)


table = HolderTable()
