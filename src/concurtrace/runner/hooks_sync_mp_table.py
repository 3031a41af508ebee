"""Who holds each multiprocessing lock, and whether anyone waits for it, seen by every
process of the traced tree: one small shared file in the session directory, mapped by
each process that uses a multiprocessing lock.

A lock's slot is found by a hash of its identity (its semaphore's name, or creator pid
and handle for a fork-context lock) that every process computes alike. A slot is five
64-bit words: key, holder (pid << 32 | tid), since (ns), and 16 waiter bytes. Stores
are plain, not atomic: each waiter counts itself in its own byte (picked by its pid and
tid), so two waiters lose a count only when they share a byte and count in the same
instant (the release then writes no signal for that wait, which stays without a
releaser); a slot shared by two identities names no holder (the key differs). A holder
writes its key with the BUSY bit first, then who and since, then the plain key, and a
reader takes a holder only when it read the plain key both before and after them: a
reader in between used to take the slot's previous holder (another identity's, or the
same lock's previous one with this one's since) for the holder. An acquire costs four
word stores (the holder writes itself; a waiter checks the key), a release two word
loads. Nothing here changes what a lock does.
"""

from __future__ import annotations

import mmap
import os
import threading
import zlib

TYPE_CHECKING = False  # not typing's: importing typing costs every process that uses mp
if TYPE_CHECKING:
    from typing import Any

SLOTS = 4096
WORDS = 5  # per slot: key, holder, since, waiter bytes 0-7, waiter bytes 8-15
SLOT_SIZE = WORDS * 8
WAITERS = 16
FILE_NAME = "sync-holders.bin"
BUSY = 1 << 63  # in a key word: its holder is being written (keys are 32-bit crcs)
KEY_BITS = BUSY - 1


class HolderTable:
    def __init__(self) -> None:
        self.map: mmap.mmap | None = None
        self.words: memoryview | None = None  # the map as unsigned 64-bit words
        self.bytes: memoryview | None = None
        self.path: str | None = None
        self.failed = False

    def configure(self, session: Any) -> None:
        self.path = os.path.join(str(session), FILE_NAME) if session else None

    def opened(self) -> memoryview | None:
        if self.words is not None or self.failed or self.path is None:
            return self.words
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            try:
                size = SLOTS * SLOT_SIZE
                if os.fstat(fd).st_size < size:
                    os.ftruncate(fd, size)  # zeros; two processes doing it at once agree
                self.map = mmap.mmap(fd, size, mmap.MAP_SHARED)
            finally:
                os.close(fd)
            self.bytes = memoryview(self.map)
            self.words = self.bytes.cast("Q")
        except (OSError, ValueError, TypeError):
            self.failed = True  # no table: waits are still recorded, without holders
        return self.words

    @staticmethod
    def key(identity: str) -> tuple[int, int]:
        """(key, first word of its slot): key is never 0 (0 marks an empty slot)."""
        crc = zlib.crc32(identity.encode()) or 1
        return crc, (crc % SLOTS) * WORDS

    def took(self, key: int, base: int, pid: int, tid: int, since: int) -> None:
        words = self.words
        if words is not None:
            words[base] = key | BUSY
            words[base + 1] = pid << 32 | tid
            words[base + 2] = since
            words[base] = key

    def holder(self, key: int, base: int) -> tuple[int, int, int] | None:
        """(pid, tid, since) of the last recorded holder, or None."""
        words = self.opened()
        if words is None or words[base] != key:
            return None
        who, since = words[base + 1], words[base + 2]
        if not who or words[base] != key:  # written meanwhile: not one consistent holder
            return None
        return (who >> 32, who & 0xFFFFFFFF, since)

    def waiting(self, key: int, base: int) -> tuple[bool, int, int]:
        """(anyone waiting, holder tid, since): a release writes a signal only if so."""
        words = self.words
        if words is None or not (words[base + 3] or words[base + 4]) \
                or words[base] & KEY_BITS != key:
            return (False, 0, 0)
        return (True, words[base + 1] & 0xFFFFFFFF, words[base + 2])

    def add_waiter(self, key: int, base: int, delta: int) -> None:
        words = self.opened()
        raw = self.bytes
        if words is None or raw is None:
            return
        if words[base] & KEY_BITS != key:  # a slot another identity used: ours now
            words[base], words[base + 1], words[base + 2] = key, 0, 0
            words[base + 3] = words[base + 4] = 0
        mine = (base + 3) * 8 + (os.getpid() * 31 + threading.get_native_id()) % WAITERS
        raw[mine] = min(255, max(0, raw[mine] + delta))


table = HolderTable()
