"""multiprocessing.connection.wait(object_list, timeout): a wait on several connections
and process sentinels at once.

Only the program's calls are observed: multiprocessing's own (Connection.poll, a
Queue's get with a timeout, a Pool's or a ProcessPoolExecutor's management threads)
pass straight through, after one look at the caller's file. A call is split like a
Pipe's recv: a silent wait up to the threshold (the objects stay ready until read),
then a recorded wait around multiprocessing's own wait. Its label names the objects:
the Pipe ends' labels, a sentinel of one of this process's children as that Process,
others by what they are ("waiting in connection.wait@app.py:20 for Pipe@app.py:5
(inbox), Process@app.py:9 (worker) and 1 socket": the call's own label, so its waits
are one object row of the summary, not the Pipe's). A recorded waiter counts itself under each
Pipe end's identity, so a send into one writes its signal; the wait's end lists the ends
and children that were ready, and the model credits the first send into a ready end
within the wait, else a ready child's exit (model/sync_relay.py).
"""

from __future__ import annotations

import os
import sys
import threading
import time
import zlib

from concurtrace.runner.hooks_sync_mp import MP_DIR
from concurtrace.runner.hooks_sync_mp_pipe import ATTR, _wait_label
from concurtrace.runner.hooks_sync_mp_process import _label as process_label
from concurtrace.runner.hooks_sync_mp_table import table
from concurtrace.runner.hooks_sync_naming import SKIP_FILES, settings
from concurtrace.runner.hookset import HookSet, Sink
from concurtrace.runner.own_frames import unlink

TYPE_CHECKING = False  # not typing's: importing typing costs every process that uses mp
if TYPE_CHECKING:
    from typing import Any

_now = time.monotonic_ns
KIND = "mp.connection.wait"
NAMED = 3  # objects named in a label; the rest are counted
INTERNAL = (MP_DIR, *SKIP_FILES)


def _children() -> dict[int, Any]:
    """This process's children by their sentinel."""
    process = sys.modules.get("multiprocessing.process")
    out: dict[int, Any] = {}
    for child in list(getattr(process, "_children", ())):
        sentinel = getattr(getattr(child, "_popen", None), "sentinel", None)
        if isinstance(sentinel, int):
            out[sentinel] = child
    return out


def _describe(objects: list[Any], frame: Any) -> tuple[str, list[Any], dict[int, Any]]:
    """(label, the Pipe ends' infos, the children by sentinel) of a wait's objects."""
    names: list[str] = []
    others: dict[str, int] = {}
    ends: list[Any] = []
    children = _children() if any(type(o) is int for o in objects) else {}
    for obj in objects:
        info = getattr(obj, "__dict__", {}).get(ATTR)
        if info is not None:
            ends.append(info)
            names.append(_wait_label(obj, info, frame))
        elif type(obj) is int and obj in children:
            names.append(process_label(children[obj]))
        else:
            what = "sentinel" if type(obj) is int else "socket" if hasattr(obj, "getsockname") \
                else "connection" if hasattr(obj, "recv_bytes") else type(obj).__name__
            others[what] = others.get(what, 0) + 1
    shown = names[:NAMED]
    rest = len(names) - len(shown)
    extra = [f"{n} {what}{'s' if n > 1 else ''}" for what, n in others.items()]
    if rest:
        extra.insert(0, f"{rest} more")
    parts = shown + extra
    named = ", ".join(parts[:-1]) + (" and " if len(parts) > 1 else "") + parts[-1] \
        if parts else "nothing"
    where = f"{os.path.basename(frame.f_code.co_filename)}:{frame.f_lineno}"
    return f"connection.wait@{where} for {named}", ends, children  # its own object row


def _recorded(sink: Sink, orig: Any, objects: list[Any], timeout: float | None,
              frame: Any) -> Any:
    start = _now()
    threshold = settings.threshold_s
    ready = orig(objects, threshold if timeout is None else min(threshold, timeout))
    if ready or (timeout is not None and timeout <= threshold):
        return ready
    rest = None if timeout is None else max(0.0, timeout - (_now() - start) / 1e9)
    label, ends, children = _describe(objects, frame)
    for info in ends:
        table.add_waiter(info[3], info[4], 1)
    me, key = threading.get_native_id(), zlib.crc32(label.encode()) & 0x7FFFFFFF
    record: dict[str, Any] = {"ev": "wait_begin", "ts": start, "tid": me, "obj": key,
                              "kind": KIND, "label": label, "timeout": timeout,
                              "objects": len(objects), "stack": settings.stack(frame)}
    sink.write(record)
    outcome, ready = "interrupted", []
    settings.busy.on = True
    try:
        ready = orig(objects, rest)
        outcome = "ready" if ready else "timed_out"
        return ready
    finally:
        settings.busy.on = False
        for info in ends:
            table.add_waiter(info[3], info[4], -1)
        end: dict[str, Any] = {"ev": "wait_end", "ts": _now(), "tid": me, "obj": key,
                               "outcome": outcome}
        found = [getattr(o, "__dict__", {}).get(ATTR) for o in ready]
        if any(found):
            end["ready"] = [info[0] for info in found if info]
        pids = [children[o].pid for o in ready if type(o) is int and o in children]
        if pids:
            end["ready_pids"] = pids
        sink.write(end)


def install_wait(hooks: HookSet, sink: Sink, module: Any) -> None:
    orig = getattr(module, "wait", None)
    if not callable(orig):
        return

    getframe, mp_dir = sys._getframe, MP_DIR

    # Every Connection.poll calls it: one look at the caller's file first (multiprocessing
    # itself), no clean_raise layer.
    def wait(object_list: Any, timeout: Any = None) -> Any:
        try:
            caller = getframe(1).f_code.co_filename
            if caller.startswith(mp_dir) or settings.sink is None or settings.is_busy() \
                    or caller.startswith(INTERNAL) or type(object_list) not in (list, tuple) \
                    or (timeout is not None and (type(timeout) not in (int, float)
                                                 or timeout <= settings.threshold_s)):
                return orig(object_list, timeout)
            table.opened()
            return _recorded(sink, orig, list(object_list), timeout, sys._getframe(1))
        except BaseException as error:
            unlink(error)
            raise

    wait.__name__, wait.__qualname__, wait.__doc__ = "wait", orig.__qualname__, orig.__doc__
    hooks.patch(module, "wait", wait)
