"""multiprocessing Pipe waits: Connection.recv / recv_bytes / recv_bytes_into / poll.

Only the two ends of a program's Pipe() are observed (not multiprocessing's own pipes:
a Queue's, a Pool's, a Manager's connections). Pipe() gives them one identity,
"pipe:<creator pid>:<n>"; end i receives what end 1 - i sends, so a wait on end i and the
sends that end it share the identity "pipe:<pid>:<n>/<i>". A fork child inherits it with
the objects; pickling one end (spawn, forkserver, a Connection sent over a Queue) carries
it as one attribute of the DupFd that multiprocessing pickles anyway, read back by
rebuild_connection: the pickle, its size aside, and the rebuilt Connection are as
without us, and an untraced interpreter unpickles it unchanged.

A recv is split like a Queue get: a silent poll of the descriptor up to the threshold
(at once when a message is there), then a recorded wait around multiprocessing's own
recv (its EOFError, its traceback). A recorded waiter counts itself in the holder table
under the end's identity, so a send (or close) in any process writes the signal that
ended the wait only when a recorded wait is open.
"""

from __future__ import annotations

import itertools
import os
import select
import sys
import threading
import time

from concurtrace.runner.hooks_sync_mp import MP_DIR, creation_site, label_of
from concurtrace.runner.hooks_sync_mp_table import table
from concurtrace.runner.hooks_sync_naming import SKIP_FILES, cached_name, object_key, settings
from concurtrace.runner.hookset import HookSet, Sink
from concurtrace.runner.own_frames import clean_raise, unlink

TYPE_CHECKING = False  # not typing's: importing typing costs every process that uses mp
if TYPE_CHECKING:
    from typing import Any

_now = time.monotonic_ns
ATTR = "_concurtrace_pipe"  # on a Connection: its End
CARRIED = "_concurtrace_pipe"  # on the DupFd a pickled end travels with
_serial = itertools.count(1)
# (its identity, its peer's, label, holder table key and offset of each: computed once)
End = tuple[str, str, str, int, int, int, int]
RECV, POLL = "mp.Pipe.recv", "mp.Pipe.poll"


def _program_made(frame: Any) -> bool:
    """Pipe() called by the program (through a context's Pipe or not), not by
    multiprocessing, concurrent.futures or us."""
    while frame is not None and frame.f_code.co_filename == os.path.join(MP_DIR, "context.py"):
        frame = frame.f_back
    return frame is not None and not frame.f_code.co_filename.startswith((MP_DIR, *SKIP_FILES))


def _ready(handle: int, timeout: float) -> bool:
    poller = select.poll()
    poller.register(handle, select.POLLIN)
    return bool(poller.poll(timeout * 1000))


def _wait_label(conn: Any, info: End, frame: Any) -> str:
    name = cached_name(conn, frame)
    return info[2] + (f" ({name})" if name else "")


def _recorded(sink: Sink, conn: Any, info: End, kind: str, call: Any,
              timeout: float | None, frame: Any) -> Any:
    """call(timeout) is multiprocessing's own recv (timeout None) or poll."""
    start = _now()
    threshold = settings.threshold_s
    if _ready(conn._handle, threshold if timeout is None else min(threshold, timeout)) \
            or (timeout is not None and timeout <= threshold):
        return call(0.0 if kind == POLL else None)
    # Counted only now: a send during the silent poll ended a wait the model drops anyway,
    # and a signal for each of them cost more than the send (a message every few µs). A
    # send in the µs between the poll's end and this count goes unsignalled (no releaser).
    key, offset = info[3], info[4]
    table.add_waiter(key, offset, 1)
    rest = None if timeout is None else max(0.0, timeout - (_now() - start) / 1e9)
    me = threading.get_native_id()
    record: dict[str, Any] = {"ev": "wait_begin", "ts": start, "tid": me,
                              "obj": object_key(conn), "kind": kind,
                              "label": _wait_label(conn, info, frame), "shared": info[0],
                              "stack": settings.stack(frame)}
    if kind == POLL:
        record["timeout"] = timeout
    sink.write(record)
    outcome = "interrupted"
    settings.busy.on = True  # what recv unpickles (a Lock, a Queue) records nothing here
    try:
        result = call(rest)
        outcome = ("ready" if result else "timed_out") if kind == POLL else "got_item"
        return result
    except EOFError:
        outcome = "eof"
        raise
    finally:
        settings.busy.on = False
        table.add_waiter(key, offset, -1)
        sink.write({"ev": "wait_end", "ts": _now(), "tid": me, "obj": object_key(conn),
                    "outcome": outcome})


def _observed(conn: Any) -> End | None:
    """The end's identity when this call may block and should be recorded."""
    info: End | None = conn.__dict__.get(ATTR)
    if info is None or settings.sink is None or settings.is_busy() \
            or conn._handle is None or not conn._readable:
        return None  # multiprocessing's own checks raise as without us
    return info


def _name_ends(sink: Sink, ends: tuple[Any, Any], site: tuple[str, int] | None) -> None:
    identity = f"pipe:{os.getpid()}:{next(_serial)}"
    label = label_of("Pipe", site)[3:]  # "Pipe@file:line": no threading Pipe to tell from
    for index, end in enumerate(ends):
        mine, peer = f"{identity}/{index}", f"{identity}/{1 - index}"
        end.__dict__[ATTR] = (mine, peer, label, *table.key(mine), *table.key(peer))
        sink.write({"ev": "sync_object", "ts": _now(), "shared": f"{identity}/{index}",
                    "kind": RECV, "label": label})
    table.opened()


def install_connection(hooks: HookSet, sink: Sink, module: Any) -> None:
    conn_cls = getattr(module, "Connection", None)
    reducers = getattr(getattr(module, "reduction", None), "ForkingPickler", None)
    extra = getattr(reducers, "_extra_reducers", None)
    if conn_cls is None or not isinstance(extra, dict) or conn_cls not in extra \
            or not hasattr(module, "rebuild_connection"):
        return  # Windows' PipeConnection, or a multiprocessing we do not know
    orig_pipe, orig_reduce, orig_rebuild = module.Pipe, extra[conn_cls], module.rebuild_connection
    recv, recv_bytes, recv_into = conn_cls.recv, conn_cls.recv_bytes, conn_cls.recv_bytes_into
    poll, send, send_bytes, close = (conn_cls.poll, conn_cls.send, conn_cls.send_bytes,
                                     conn_cls.close)

    def pipe(*args: Any, **kwargs: Any) -> Any:
        try:
            ends = orig_pipe(*args, **kwargs)
        except BaseException as error:  # too many open files ...: without our frame
            unlink(error)
            raise
        if settings.sink is not None and _program_made(sys._getframe(1)):
            _name_ends(sink, ends, creation_site())
        return ends

    def reduce(conn: Any) -> Any:
        try:
            rebuild, args = orig_reduce(conn)
        except BaseException as error:  # a closed handle's OSError, as without us
            unlink(error)
            raise
        info = conn.__dict__.get(ATTR)
        if info is not None and hasattr(args[0], "__dict__"):
            args[0].__dict__[CARRIED] = info
        return rebuild, args

    def rebuild_connection(df: Any, *args: Any, **kwargs: Any) -> Any:
        info = getattr(df, "__dict__", {}).pop(CARRIED, None)
        try:
            conn = orig_rebuild(df, *args, **kwargs)
        except BaseException as error:
            unlink(error)
            raise
        if isinstance(info, tuple) and len(info) == 7:
            conn.__dict__[ATTR] = info
            table.opened()
        return conn

    def receiver(orig: Any) -> Any:
        # A hot path (every message, and a Manager's every call): no clean_raise layer,
        # the same unlink inline; a message already there costs one poll.
        def observed(self: Any, /, *args: Any, **kwargs: Any) -> Any:
            try:
                info = _observed(self)
                if info is None:
                    return orig(self, *args, **kwargs)
                return _recorded(sink, self, info, RECV,
                                 lambda _t: orig(self, *args, **kwargs), None, sys._getframe(1))
            except BaseException as error:
                unlink(error)
                raise

        return observed

    def observed_poll(self: Any, timeout: Any = 0.0) -> Any:
        info = _observed(self)
        if info is None or (timeout is not None and (type(timeout) not in (int, float)
                                                     or timeout <= settings.threshold_s)):
            return poll(self, timeout)  # its own errors, as without us
        return _recorded(sink, self, info, POLL, lambda t: poll(self, t), timeout,
                         sys._getframe(1))

    def sender(orig: Any, op: str) -> Any:
        def observed(self: Any, /, *args: Any, **kwargs: Any) -> Any:
            try:
                info: End | None = self.__dict__.get(ATTR)
                if info is None or settings.sink is None or table.words is None:
                    return orig(self, *args, **kwargs)
                waiting, ts = table.waiting(info[5], info[6])[0], _now()  # before: the
                result = orig(self, *args, **kwargs)  # woken waiter may stop counting
                if waiting:
                    sink.write({"ev": "sync_signal", "ts": ts,
                                "tid": threading.get_native_id(), "obj": object_key(self),
                                "shared": info[1], "op": op})
                return result
            except BaseException as error:
                unlink(error)
                raise

        return observed

    hooks.patch(module, "Pipe", pipe)
    hooks.patch(module, "rebuild_connection", rebuild_connection)
    extra[conn_cls] = reduce
    hooks.on_uninstall(lambda: extra.__setitem__(conn_cls, orig_reduce))
    for name, function in (("recv", receiver(recv)), ("recv_bytes", receiver(recv_bytes)),
                           ("recv_bytes_into", receiver(recv_into)), ("poll", observed_poll),
                           ("send", sender(send, "send")),
                           ("send_bytes", sender(send_bytes, "send")),
                           ("close", sender(close, "close"))):
        original = getattr(conn_cls, name)  # _ConnectionBase's: its name in messages
        function.__name__, function.__qualname__ = name, original.__qualname__
        hooks.patch(conn_cls, name, function if name != "poll" else clean_raise(function))
