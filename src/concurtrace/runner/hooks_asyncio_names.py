"""What the asyncio hooks call things: the kind of wait a task is in (from its coroutine's
cr_await chain), task, coroutine and callback names, and program sites."""

from __future__ import annotations

import os
from types import CoroutineType
from typing import Any

from concurtrace.runner.frame_locals import frame_local
from concurtrace.runner.own_frames import is_own

# Set by hooks_asyncio.install_asyncio once asyncio is imported.
ASYNCIO_DIR = os.path.join(os.path.dirname(os.__file__), "asyncio") + os.sep
EVENTS_FILE = ASYNCIO_DIR + "events.py"
TASK_TYPES: tuple[type, ...] = ()
# (asyncio module, function) -> the kind of wait, for the outermost asyncio frame awaited
KINDS = {
    ("tasks", "sleep"): "asyncio.sleep", ("tasks", "wait"): "asyncio.wait",
    ("tasks", "wait_for"): "wait_for", ("tasks", "_wait"): "asyncio.wait",
    ("tasks", "as_completed"): "as_completed", ("threads", "to_thread"): "to_thread",
    ("streams", "open_connection"): "connect", ("streams", "start_server"): "start_server",
    ("streams", "drain"): "stream write", ("streams", "_drain_helper"): "stream write",
    ("streams", "wait_closed"): "stream close",
    ("selector_events", "sock_recv"): "socket read", ("selector_events", "sock_recv_into"):
        "socket read", ("selector_events", "sock_sendall"): "socket write",
    ("selector_events", "sock_accept"): "socket accept",
    ("selector_events", "sock_connect"): "socket connect",
    ("selector_events", "_accept_connection2"): "connection setup",
    ("base_events", "create_connection"): "connect", ("base_events", "getaddrinfo"):
        "getaddrinfo", ("base_events", "serve_forever"): "serve_forever",
    ("base_events", "create_server"): "start_server",
    ("base_events", "shutdown_default_executor"): "executor shutdown",
    ("subprocess", "wait"): "subprocess", ("subprocess", "communicate"): "subprocess",
    ("base_subprocess", "_wait"): "subprocess", ("subprocess", "create_subprocess_exec"):
        "subprocess start", ("subprocess", "create_subprocess_shell"): "subprocess start",
    # communicate()'s own tasks (asyncio's): its pipes read, written, connected
    ("subprocess", "_read_stream"): "subprocess", ("subprocess", "_feed_stdin"): "subprocess",
    ("base_subprocess", "_connect_pipes"): "subprocess start",
    ("taskgroups", "__aexit__"): "TaskGroup",  # `async with TaskGroup()`: its tasks
    ("base_events", "wait_closed"): "server close", ("base_events", "start_tls"):
        "tls handshake", ("base_events", "sock_sendfile"): "socket write",
    ("selector_events", "sock_recvfrom"): "socket read",
    ("selector_events", "sock_recvfrom_into"): "socket read",
    ("selector_events", "sock_sendto"): "socket write",
}
STREAM_READS = frozenset({"read", "readline", "readexactly", "readuntil", "_wait_for_data"})


PROGRAM = ""  # CODE_KINDS: the program's code, not asyncio's
_BY_SELF = "self"  # asyncio.locks / asyncio.queues: named after the object's class
# id(code) -> (code, kind, whether the kind is the wait's name as it is): a code object's
# hash walks its bytecode (3.12) or its constants; the entry holds the code, so its id
# is not reused while it is here
CODE_KINDS: dict[int, tuple[Any, str, bool]] = {}
CODE_CACHE_MAX = 20_000  # codes made on the fly (exec): start over rather than grow


def awaited(task: Any) -> tuple[str | None, Any]:
    """(the kind named by the outermost asyncio frame the task awaits in, or None; the
    innermost program frame above it, or None): the coroutine's cr_await chain. The code
    is read from the coroutine: asking a coroutine for its frame makes a frame object."""
    obj = task.get_coro()
    where: Any = None  # the coroutine (or generator) of the program's innermost frame
    found: str | None = None
    for _ in range(64):  # outermost first: the first asyncio frame names the wait
        if type(obj) is CoroutineType:
            code, inner = obj.cr_code, obj.cr_await
            if inner is None and obj.cr_frame is None:  # finished
                break
        else:
            frame = getattr(obj, "gi_frame", None) or getattr(obj, "ag_frame", None)
            if frame is None:
                break
            code = frame.f_code
            inner = getattr(obj, "gi_yieldfrom", None) or getattr(obj, "ag_await", None)
        entry = CODE_KINDS.get(id(code))
        if entry is None or entry[0] is not code:
            entry = _learn(code)
        if entry[1] != PROGRAM:  # the frames inside it change nothing
            found = entry[1]
            if found == _BY_SELF:
                found = f"{type(frame_local(_frame(obj), 'self')).__name__}.{_method(code, inner)}"
            break
        where = obj
        obj = inner
    return found, where.cr_frame if type(where) is CoroutineType else _frame(where)


def _frame(obj: Any) -> Any:
    if obj is None:
        return None
    if type(obj) is CoroutineType:
        return obj.cr_frame
    return getattr(obj, "gi_frame", None) or getattr(obj, "ag_frame", None)


def _learn(code: Any) -> tuple[Any, str, bool]:
    if len(CODE_KINDS) >= CODE_CACHE_MAX:
        CODE_KINDS.clear()
    kind = _code_kind(code)
    entry = CODE_KINDS[id(code)] = (code, kind, kind not in (PROGRAM, _BY_SELF))
    return entry


def wait_kind(task: Any, waiter: Any, kind: str | None) -> str:
    """What the task waits for, from its waiter and the kind its await chain names."""
    if waiter is None:
        return kind or "the next loop iteration (sleep(0))"
    if isinstance(waiter, TASK_TYPES):
        return f"task {task_name(waiter)}"
    if type(waiter).__name__ == "_GatheringFuture":
        return kind or "gather"  # communicate() gathers its pipes: "subprocess"
    return kind or "a future"


def awaiting(task: Any, waiter: Any) -> tuple[str, str | None]:
    """(what the task waits for, the program's await line)."""
    kind, frame = awaited(task)
    where = f"{frame.f_code.co_filename}:{frame.f_lineno}" if frame is not None else None
    return wait_kind(task, waiter, kind), where


def _method(code: Any, awaited: Any) -> str:
    """`async with lock:` waits in __aenter__ for acquire() (Barrier's: for wait())."""
    if code.co_name == "__aenter__":
        inner = getattr(awaited, "cr_code", None)
        if inner is not None and inner.co_filename == code.co_filename:
            return str(inner.co_name)
    return str(code.co_name)


def _code_kind(code: Any) -> str:
    if not code.co_filename.startswith(ASYNCIO_DIR):
        return PROGRAM
    module = os.path.splitext(os.path.basename(code.co_filename))[0]
    if module == "streams" and code.co_name in STREAM_READS:
        return "stream read"
    if module in ("locks", "queues"):
        return _BY_SELF
    return KINDS.get((module, code.co_name), f"asyncio.{module}.{code.co_name}")


def task_name(task: Any) -> str:
    try:
        return str(task.get_name())
    except Exception:  # noqa: BLE001 - a Future, or a task type of the program's
        return type(task).__name__


def coro_name(coro: Any) -> str:
    code = getattr(coro, "cr_code", None) or getattr(coro, "gi_code", None)
    if code is None:
        return type(coro).__name__
    return f"{getattr(code, 'co_qualname', code.co_name)} ({os.path.basename(code.co_filename)}" \
           f":{code.co_firstlineno})"


def callback_name(callback: Any) -> str:
    inner = getattr(callback, "func", callback)  # functools.partial
    code = getattr(inner, "__code__", None)
    if code is not None and is_own(code.co_filename):  # a hook of ours: what it stands for
        inner = getattr(getattr(inner, "__func__", inner), "__wrapped__", inner)
        code = getattr(inner, "__code__", None)
    name = getattr(inner, "__qualname__", None) or type(inner).__name__
    if code is None:
        return str(name)
    return f"{name} ({os.path.basename(code.co_filename)}:{code.co_firstlineno})"


# asyncio frames that run the loop: a walk out of asyncio's code that reaches one has left
# the callback that made the task (a protocol's, call_soon's) for the loop itself
LOOP_DRIVERS = frozenset({"_run", "_run_once", "run_forever", "run_until_complete", "run"})
CALLBACK_DRIVERS = frozenset({"_run", "_run_once", "run_forever"})  # inside a callback


def program_site(frame: Any) -> str | None:
    """The program's line that made it: the first frame outside asyncio (and us). When
    asyncio's own callback made it (a stream server's handler task, from
    StreamReaderProtocol.connection_made), the line in asyncio that did, not the line
    that called asyncio.run, whose frame lies beyond the loop."""
    first = None  # the innermost asyncio frame that is neither ours nor the loop's
    while frame is not None:
        code = frame.f_code
        if not is_own(code.co_filename):
            if not code.co_filename.startswith(ASYNCIO_DIR):
                break
            if code.co_name in LOOP_DRIVERS:
                # past asyncio's callback that made it, or the loop ran the program's
                # create_task itself (call_soon(loop.create_task, ...)): no program line
                if first is not None or code.co_name in CALLBACK_DRIVERS:
                    frame = first
                    break
            elif first is None and code.co_name not in TO_CREATE_TASK:
                first = frame
        frame = frame.f_back
    return f"{frame.f_code.co_filename}:{frame.f_lineno}" if frame is not None else None


def running_callback(frame: Any) -> str | None:
    """The callback the loop is running (a task made outside any task: by call_soon's,
    call_later's, a protocol's): the handle of the nearest events.Handle._run frame."""
    for _ in range(64):
        if frame is None:
            return None
        code = frame.f_code
        if code.co_name == "_run" and code.co_filename == EVENTS_FILE:
            callback = getattr(frame_local(frame, "self"), "_callback", None)
            return callback_name(callback) if callback is not None else None
        frame = frame.f_back
    return None


# what lies between asyncio.run / run_until_complete and loop.create_task for its main task
TO_CREATE_TASK = frozenset({"ensure_future", "_ensure_future", "create_task"})


def is_run_until_complete(frame: Any) -> bool:
    """Whether create_task's caller is asyncio.run's Runner.run or run_until_complete (the
    main task), through ensure_future only. Not merely a frame nearby: a task made by a
    callback a few frames under run_until_complete (uvloop's loop is C, so its protocol
    callbacks sit right under Runner.run) is the program's, not the main one."""
    for _ in range(4):
        if frame is None:
            return False
        code = frame.f_code
        if code.co_name in ("run_until_complete", "run"):
            return bool(code.co_filename.startswith(ASYNCIO_DIR))
        if code.co_name not in TO_CREATE_TASK:  # a subclass's create_task: super()'s caller
            return False
        frame = frame.f_back
    return False


def error_site(error: BaseException) -> str | None:
    tb = error.__traceback__
    last = None
    while tb is not None:
        if not tb.tb_frame.f_code.co_filename.startswith(ASYNCIO_DIR):
            last = tb
        tb = tb.tb_next
    if last is None:
        return None
    return f"{last.tb_frame.f_code.co_filename}:{last.tb_lineno}"
