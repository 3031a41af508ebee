"""multiprocessing.connection Listener.accept() and Client(): the waits for a client to
connect and for a listener to accept, and the connections they make.

Only the program's calls (not a Manager's, which multiprocessing makes). An accept is
split like a Pipe's recv: a silent poll of the listening socket up to the threshold,
then a recorded wait "mp.Listener.accept" around multiprocessing's own accept (its
handshake, its AuthenticationError), shared as "listen:<address>": the client's connect
(a "connect" signal under that identity) ended it. A Client() with an authkey waits for
the listener to accept and answer its handshake: after the socket's connect, a silent
poll for the listener's first message up to the threshold, then a recorded "mp.Client"
wait to the end of the handshake, ended by the listener's accept ("accept" signal under
the connection's identity).

Each connection gets an identity both ends compute alike (hooks_sync_mp_sockets), so
the Pipe hooks see its recv, poll and send.
"""

from __future__ import annotations

import _thread
import os
import sys
import threading
import time

from concurtrace.runner.hooks_sync_mp import MP_DIR, patch_method
from concurtrace.runner.hooks_sync_mp_sockets import (
    address_key,
    own_address,
    peer_of,
    readable,
    shown,
    tag_end,
)
from concurtrace.runner.hooks_sync_naming import (
    OUR_DIRS,
    SKIP_FILES,
    cached_name,
    object_key,
    settings,
)
from concurtrace.runner.hookset import HookSet, Sink

TYPE_CHECKING = False  # not typing's: importing typing costs every process that uses mp
if TYPE_CHECKING:
    from typing import Any

_now = time.monotonic_ns
INTERNAL = (MP_DIR, *SKIP_FILES)
SITE = "_concurtrace_site"
class _Calls(_thread._local):
    accept: Any = None  # (listener, where the program called accept) while it runs
    connect: Any = None  # (address, start, site, frame) while the program's Client() runs


_calls = _Calls()


def _program(frame: Any) -> bool:
    return not frame.f_code.co_filename.startswith(INTERNAL)


def _caller() -> Any:
    """The frame that called the hook (past our clean_raise wrapper)."""
    frame: Any = sys._getframe(2)
    while frame is not None and frame.f_code.co_filename.startswith(OUR_DIRS):
        frame = frame.f_back
    return frame


def _where(frame: Any) -> str:
    return f"{os.path.basename(frame.f_code.co_filename)}:{frame.f_lineno}"


def _wait(sink: Sink, obj: Any, kind: str, label: str, shared: str, start: int,
          frame: Any) -> int:
    me = threading.get_native_id()
    sink.write({"ev": "wait_begin", "ts": start, "tid": me, "obj": object_key(obj),
                "kind": kind, "label": label, "shared": shared, "stack": settings.stack(frame)})
    return me


def _signal(sink: Sink, shared: str, op: str, ts: int) -> None:
    sink.write({"ev": "sync_signal", "ts": ts, "tid": threading.get_native_id(), "obj": 0,
                "shared": shared, "op": op})


def install_listener(hooks: HookSet, sink: Sink, module: Any) -> None:
    listener_cls, socket_listener = module.Listener, module.SocketListener
    l_init, l_accept, s_accept = listener_cls.__init__, listener_cls.accept, \
        socket_listener.accept
    orig_client, orig_socket_client = module.Client, module.SocketClient

    def init(self: Any, /, *args: Any, **kwargs: Any) -> None:
        l_init(self, *args, **kwargs)
        frame = _caller()
        while frame is not None and not _program(frame):
            frame = frame.f_back
        self.__dict__[SITE] = _where(frame) if frame is not None else None

    def accept(self: Any) -> Any:
        inner = getattr(self, "_listener", None)
        frame = _caller()
        if settings.sink is None or settings.is_busy() or frame is None or not _program(frame) \
                or not isinstance(inner, socket_listener) or SITE not in self.__dict__:
            return l_accept(self)
        address, start = address_key(inner._address, inner._family), _now()
        label = f"Listener@{self.__dict__[SITE] or '?'} ({shown(inner._address)})"
        name = cached_name(self, frame)
        label += f" ({name})" if name else ""
        _calls.accept = (self, _where(frame))
        shared, me = f"listen:{address}", None
        if not readable(inner._socket.fileno(), settings.threshold_s):
            me = _wait(sink, self, "mp.Listener.accept", label, shared, start, frame)
        outcome = "interrupted"
        settings.busy.on = True  # the handshake's recv and sends are part of this wait
        try:
            conn = l_accept(self)
            outcome = "accepted"
            return conn
        except Exception:
            outcome = "failed"  # its AuthenticationError, as without us
            raise
        finally:
            settings.busy.on = False
            _calls.accept = None
            if me is None and _now() - start >= settings.threshold_s * 1e9:
                me = _wait(sink, self, "mp.Listener.accept", label, shared, start, frame)
            if me is not None:  # (a client there at once, then a slow handshake: after it)
                sink.write({"ev": "wait_end", "ts": _now(), "tid": me,
                            "obj": object_key(self), "outcome": outcome})

    def socket_accept(self: Any) -> Any:
        conn = s_accept(self)
        call = _calls.accept
        if call is not None and call[0]._listener is self and settings.sink is not None:
            ts, client = _now(), peer_of(conn, self._family)
            if client is not None:
                identity = tag_end(sink, conn, address_key(self._address, self._family), client, 0,
                                f"Connection@{call[1]} ({shown(self._address)})")
                _signal(sink, identity, "accept", ts)
        return conn

    def client(address: Any, *args: Any, **kwargs: Any) -> Any:
        frame = _caller()
        if settings.sink is None or settings.is_busy() or frame is None or not _program(frame):
            return orig_client(address, *args, **kwargs)
        authkey = kwargs.get("authkey", args[1] if len(args) > 1 else None)
        _calls.connect = [authkey, _now(), _where(frame), frame, None]
        try:
            conn = orig_client(address, *args, **kwargs)
        except Exception:
            _ended(sink, "failed")
            raise
        except BaseException:
            _ended(sink, "interrupted")
            raise
        _ended(sink, "accepted")
        return conn

    def socket_client(address: Any) -> Any:
        conn = orig_socket_client(address)
        call = _calls.connect
        if call is None or settings.sink is None:
            return conn
        ts, family = _now(), module.address_type(address)
        own = str(os.getpid()) if family == "AF_UNIX" else own_address(conn, family)
        if own is not None:
            label = f"Connection@{call[2]} ({shown(address)})"
            where = address_key(address, family)
            identity = tag_end(sink, conn, where, own, 1, label)
            _signal(sink, f"listen:{where}", "connect", ts)
            # With an authkey, Client()'s handshake waits for the listener's accept()
            if call[0] is not None:
                call[5:] = [conn, f"Client@{call[2]} ({shown(address)})", identity]
                if not readable(conn.fileno(), settings.threshold_s):
                    call[4] = _wait(sink, conn, "mp.Client", call[6], identity, call[1],
                                    call[3])
                settings.busy.on = True  # the handshake's recv and sends are this wait
        return conn

    def _ended(sink: Sink, outcome: str) -> None:
        call, _calls.connect = _calls.connect, None
        if call is None or len(call) < 8:
            return
        settings.busy.on = False
        me = call[4]
        if me is None and _now() - call[1] >= settings.threshold_s * 1e9:
            me = _wait(sink, call[5], "mp.Client", call[6], call[7], call[1], call[3])
        if me is not None:  # (its first message there at once, then a slow handshake)
            sink.write({"ev": "wait_end", "ts": _now(), "tid": me,
                        "obj": object_key(call[5]), "outcome": outcome})

    patch_method(hooks, listener_cls, "__init__", init)
    patch_method(hooks, listener_cls, "accept", accept)
    patch_method(hooks, socket_listener, "accept", socket_accept)
    for name, function in (("Client", client), ("SocketClient", socket_client)):
        original = getattr(module, name)
        function.__name__, function.__qualname__ = name, original.__qualname__
        function.__doc__ = original.__doc__
        hooks.patch(module, name, _clean(function))


def _clean(function: Any) -> Any:
    from concurtrace.runner.own_frames import clean_raise

    return clean_raise(function)
