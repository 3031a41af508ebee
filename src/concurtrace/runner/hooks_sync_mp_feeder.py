"""A multiprocessing Queue's feeder thread blocked writing a put into the queue's pipe.

q.put() only appends to a buffer; the queue's feeder thread pickles the item and writes
it into the pipe, and blocks while the pipe is full until some process reads. A process
cannot end before its feeder has flushed (its exit joins it), so a parent that join()s a
child before taking what the child put waits forever: the Python docs' "Joining
processes that use queues". Only a write that cannot fit in the pipe's free space is
recorded (FIONREAD and F_GETPIPE_SZ: one ioctl a send, in the feeder thread).
"""

from __future__ import annotations

import threading
import time

from concurtrace.runner.hooks_sync_mp import patch_method
from concurtrace.runner.hooks_sync_mp_queues import queue_identity, queue_kind
from concurtrace.runner.hooks_sync_naming import settings
from concurtrace.runner.hookset import HookSet, Sink

TYPE_CHECKING = False  # not typing's: importing typing costs every process that uses mp
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

_now = time.monotonic_ns
_WRAPPED = "_concurtrace_flush"
try:
    import fcntl
    import termios
except ImportError:  # not POSIX: nothing is recorded
    _GETPIPE_SZ: int | None = None
else:
    _GETPIPE_SZ = getattr(fcntl, "F_GETPIPE_SZ", None)  # Linux


def _room(fd: int) -> int | None:
    """Free bytes in the pipe fd writes into; None where that cannot be read."""
    if _GETPIPE_SZ is None:
        return None
    try:
        size = fcntl.fcntl(fd, _GETPIPE_SZ)
        buffer = bytearray(4)
        fcntl.ioctl(fd, termios.FIONREAD, buffer)
    except OSError:
        return None
    return int(size) - int.from_bytes(buffer, "little")


def _flushing(sink: Sink, q: Any, send: Callable[[Any], None], fd: int) -> Callable[[Any], None]:
    """q's send_bytes, recording a write that must wait for a reader. It keeps no
    reference to q (the queue's finalizers run when the program drops it, as without us)."""
    kind = queue_kind(q)
    site = q.__dict__.get("_concurtrace_site")
    where = f"{site[0].rsplit('/', 1)[-1]}:{site[1]}" if site else "?"
    begin = {"ev": "wait_begin", "obj": id(q), "kind": kind + ".flush",
             "label": f"{kind}@{where}"}
    identity = queue_identity(q)
    if identity is not None:
        begin["shared"] = identity

    def send_bytes(buf: Any) -> None:
        room = _room(fd)
        size = len(memoryview(buf)) + 4  # the length header
        if room is None or size <= room or settings.sink is None:
            return send(buf)
        me = threading.get_native_id()
        sink.write({**begin, "ts": _now(), "tid": me, "bytes": size,
                    "stack": settings.stack()})
        outcome = "interrupted"
        try:
            send(buf)
            outcome = "flushed"
        finally:
            sink.write({"ev": "wait_end", "ts": _now(), "tid": me, "obj": begin["obj"],
                        "outcome": outcome})

    setattr(send_bytes, _WRAPPED, True)
    return send_bytes


def install_feeder(hooks: HookSet, sink: Sink, module: Any) -> None:
    queue_cls = module.Queue
    orig_start = queue_cls._start_thread

    def _start_thread(self: Any) -> None:
        send = self.__dict__.get("_send_bytes")
        fd = getattr(getattr(self, "_writer", None), "_handle", None)
        if send is not None and type(fd) is int and not getattr(send, _WRAPPED, False):
            self._send_bytes = _flushing(sink, self, send, fd)
        orig_start(self)

    patch_method(hooks, queue_cls, "_start_thread", _start_thread)
