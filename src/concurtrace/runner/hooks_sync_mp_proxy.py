"""Manager proxies: each method call is a round trip to the manager's server process.

A call longer than the threshold is recorded as a wait on the shared object
("Manager dict@app.py:12"): calls that block by design (a Lock's acquire, a Queue's get,
an Event's wait ...) write their begin at once, so one still open when the run stops is
known; others are written after the fact. The object's identity is its token (server
address and id), the same in every process; the creator writes a "sync_object" record
with the label and the server's pid. The server serialises a Lock proxy's calls: every
acquire and release of one is written ("acquired" / "release" signals), which is how a
waiter learns who held it.
"""

from __future__ import annotations

import sys
import threading
import time

from concurtrace.runner.hooks_sync_mp import MP_DIR, creation_site, patch_method
from concurtrace.runner.hooks_sync_naming import OUR_DIRS, cached_name, object_key, settings
from concurtrace.runner.hookset import HookSet, Sink

TYPE_CHECKING = False  # not typing's: importing typing costs every process that uses mp
if TYPE_CHECKING:
    from typing import Any

_now = time.monotonic_ns
BLOCKING = {"acquire", "wait", "wait_for", "get", "put", "join", "__enter__"}
LOCK_TYPES = ("Lock", "RLock")


def identity(token: Any) -> str:
    return f"mgr:{token.address}:{token.id}"


def _label(proxy: Any, kind: str, frame: Any) -> str:
    name = cached_name(proxy, frame)
    return f"{kind}@?" + (f" ({name})" if name else "")  # the model puts the creator's site


def install_proxies(hooks: HookSet, sink: Sink, module: Any) -> None:
    proxy_cls, manager_cls = module.BaseProxy, module.BaseManager
    orig_call, orig_create = proxy_cls._callmethod, manager_cls._create

    def create(self: Any, typeid: str, /, *args: Any, **kwargs: Any) -> Any:
        token, exposed = orig_create(self, typeid, *args, **kwargs)
        site = creation_site()
        if settings.sink is not None and site is not None:
            process = getattr(self, "_process", None)
            sink.write({"ev": "sync_object", "ts": _now(), "shared": identity(token),
                        "kind": f"Manager {typeid}",
                        "label": f"Manager {typeid}@{site[0].rsplit('/', 1)[-1]}:{site[1]}",
                        "server_pid": getattr(process, "pid", None)})
        return token, exposed

    def callmethod(self: Any, methodname: str, args: tuple[Any, ...] = (),
                   kwds: dict[str, Any] | None = None) -> Any:
        kwds = {} if kwds is None else kwds
        if settings.sink is None or settings.is_busy():
            return orig_call(self, methodname, args, kwds)
        token = self._token
        typeid = str(getattr(token, "typeid", "?"))
        kind = f"Manager {typeid}"
        shared = identity(token)
        blocking = methodname in BLOCKING
        lock = typeid in LOCK_TYPES
        me = threading.get_native_id()
        frame = sys._getframe(1)
        while frame.f_back is not None and (frame.f_code.co_filename == "<string>" or
                                            frame.f_code.co_filename.startswith(
                                                (MP_DIR, *OUR_DIRS))):
            frame = frame.f_back  # the program's line, not the proxy's (generated) methods
        start = _now()
        if lock and methodname == "release":
            sink.write({"ev": "sync_signal", "ts": start, "tid": me, "obj": id(self),
                        "shared": shared, "op": "release"})
        begun = False
        if blocking:
            sink.write({"ev": "wait_begin", "ts": start, "tid": me, "obj": id(self),
                        "kind": kind, "label": _label(self, kind, frame), "shared": shared,
                        "method": methodname, "stack": settings.stack(frame)})
            begun = True
        outcome = "interrupted"
        settings.busy.on = True
        try:
            result = orig_call(self, methodname, args, kwds)
            outcome = "timed_out" if blocking and result is False else \
                ("acquired" if methodname in ("acquire", "__enter__") else "returned")
            return result
        except Exception:
            outcome = "raised"
            raise
        finally:
            settings.busy.on = False
            end = _now()
            if not begun and end - start >= settings.threshold_s * 1e9 \
                    and not (lock and methodname == "release"):  # a round trip, no wait
                sink.write({"ev": "wait_begin", "ts": start, "tid": me, "obj": id(self),
                            "kind": kind, "label": _label(self, kind, frame),
                            "shared": shared, "method": methodname,
                            "stack": settings.stack(frame)})
                begun = True
            if begun:
                sink.write({"ev": "wait_end", "ts": end, "tid": me, "obj": id(self),
                            "outcome": outcome})
            if lock and outcome == "acquired":
                sink.write({"ev": "sync_signal", "ts": end, "tid": me, "obj": id(self),
                            "shared": shared, "op": "acquired"})

    server_cls = module.Server
    orig_serve_create = server_cls.create

    def serve_create(self: Any, c: Any, typeid: str, /, *args: Any, **kwds: Any) -> Any:
        """In the server: the real object's identity number, which its own waits carry
        (the token's id is its id(), which the records no longer use)."""
        ident, exposed = orig_serve_create(self, c, typeid, *args, **kwds)
        if settings.sink is not None:
            try:
                real = self.id_to_obj[ident][0]
                sink.write({"ev": "sync_object", "ts": _now(),
                            "shared": f"mgr:{self.address}:{ident}",
                            "server_key": object_key(real)})
            except Exception:  # noqa: BLE001 - the label only; never the program's error
                pass
        return ident, exposed

    patch_method(hooks, proxy_cls, "_callmethod", callmethod)
    patch_method(hooks, manager_cls, "_create", create)
    patch_method(hooks, server_cls, "create", serve_create)
