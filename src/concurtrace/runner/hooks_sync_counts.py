"""How often each contended lock was taken (issue 16: a lock storm is reported, not hidden).

A storm of short waits (4 threads x 200k acquire/release, each wait well under the 1 ms
threshold) writes no wait record. So each lock wrapper (hooks_sync_locks) counts, with
no record and no clock read on its fast path, its acquisitions; a blocked acquire that
got the lock also counts one contended acquisition and the time it blocked. The lock
is being held by the thread counting, so the counts need no lock of their own.

A lock's first contended acquisition registers it here (a weak reference: nothing keeps
it alive) and writes "lock_counts" (ts, tid, obj, kind, label, acquires, contended,
contended_ns: totals so far); so do its 2nd, 4th, ... 2048th, then every 4096th, so a
killed process loses few; the totals of every registered lock still alive are written
again at exit (atexit, before the tracer's save). model/sync.py keeps each lock's last.
"""

from __future__ import annotations

import _weakref  # weakref.ref itself, without the weakref module's import
import atexit
import os
import sys
import threading
import time

from concurtrace.runner.hooks_sync_naming import named_label, settings
from concurtrace.runner.hookset import HookSet

TYPE_CHECKING = False  # not typing's: importing typing costs every traced process
if TYPE_CHECKING:
    import weakref
    from typing import Any

EVERY = 4096
_now = time.monotonic_ns
_locks: list[weakref.ref[Any]] = []  # locks contended at least once in this process
_pid = os.getpid()  # the process whose counts _locks holds


def counted(lock: Any, waited_ns: int, frame: Any) -> None:
    """A blocked acquire got the lock after waited_ns (the caller holds it)."""
    if os.getpid() != _pid:  # a fork child's first: not an at-fork hook (see _forked)
        _forked(lock)
    n = lock._contended = lock._contended + 1
    lock._contended_ns += waited_ns
    if n == 1:
        _locks.append(_weakref.ref(lock))
    if (n < EVERY and n & (n - 1) == 0) or n % EVERY == 0:
        _write(lock, frame)


def _write(lock: Any, frame: Any) -> None:
    sink = settings.sink
    if sink is None:
        return
    sink.write({"ev": "lock_counts", "ts": _now(), "tid": threading.get_native_id(),
                "obj": lock._concurtrace_key, "kind": lock.kind,
                "label": named_label(lock, lock.kind, lock._concurtrace_site, frame),
                "acquires": lock._acquires, "contended": lock._contended,
                "contended_ns": lock._contended_ns})


def flush() -> None:
    """The totals of every contended lock still alive (the name was found at its first)."""
    frame = sys._getframe()
    for ref in list(_locks):
        lock = ref()
        if lock is not None:
            _write(lock, frame)


def _forked(current: Any) -> None:
    """A fork child counts its own copies' contended acquisitions from zero (the lock
    taken now keeps this acquisition). Checked on the contended path, not registered
    with os.register_at_fork: that callback, never removable, left an error pending at
    the interpreter's shutdown in full mode ("Exception ignored in m_clear of module
    time", tests/test_sync_mp.py::test_mp_tracebacks_are_unchanged)."""
    global _pid
    _pid = os.getpid()
    for ref in _locks:
        lock = ref()
        if lock is not None:
            lock._acquires = lock._contended = lock._contended_ns = 0
    _locks.clear()
    current._acquires, current._contended, current._contended_ns = 1, 0, 0


def install_counts(hooks: HookSet) -> None:
    atexit.register(flush)  # after the tracer's finalize was registered: it runs before it
    hooks.on_uninstall(lambda: atexit.unregister(flush))
