"""Our frames out of the program's tracebacks, so they read as without concurtrace.

An exception that propagates through a hook gets a traceback entry for each of our
frames. A hook that catches it, calls `unlink(error)` and re-raises with a bare `raise`
leaves no entry of its own on 3.11+ (RERAISE adds none and re-raises
`error.__traceback__`). On 3.10 RERAISE restores the traceback saved when the handler
began, whose first entry is the hook's own frame: `unlink` still cuts every entry after
it out of the chain (tb_next is writable), so one entry of ours remains until a printer
of ours (sys.excepthook, threading.excepthook) unlinks it as well.

A C function that warns names its Python caller: `call_as_caller` gives it one that
stands for the program's own line.
"""

from __future__ import annotations

import functools
import os
import threading
from collections.abc import Callable
from types import CodeType, FrameType, TracebackType

TYPE_CHECKING = False  # not typing's: importing typing costs every traced process
if TYPE_CHECKING:
    from typing import Any, TypeVar, cast

    F = TypeVar("F", bound=Callable[..., Any])
else:
    def cast(_type: object, value: object) -> object:
        return value  # typing.cast, without importing typing

# The code of ours that runs inside the program (not the shipped scenarios: they are the
# program), as the target imports it (through the session's symlink) and resolved.
# (os.path, not pathlib: pathlib would cost every traced process ~3 ms of imports)
_PACKAGES = (os.path.dirname(os.path.dirname(__file__)),
             os.path.dirname(os.path.dirname(os.path.realpath(__file__))))
OWN_DIRS = tuple({os.path.join(package, part) + os.sep for package in _PACKAGES
                  for part in ("runner", "model")})


# Code objects of ours that carry a caller's file and line (see hooks.call_as_caller).
STAND_INS: set[CodeType] = set()


def is_own(filename: str) -> bool:
    return filename.startswith(OWN_DIRS)


def _own_entry(tb: TracebackType) -> bool:
    code = tb.tb_frame.f_code
    return code.co_filename.startswith(OWN_DIRS) or code in STAND_INS


def without_own(tb: TracebackType | None) -> TracebackType | None:
    """The chain from tb with our entries unlinked (in place); returns its new head."""
    leading: list[TracebackType] = []
    while tb is not None and _own_entry(tb):
        leading.append(tb)
        tb = tb.tb_next
    for own in leading:  # 3.10 re-raises from the first of them: let it skip the rest
        own.tb_next = tb
    node = tb
    while node is not None:
        after = node.tb_next
        while after is not None and _own_entry(after):
            after = after.tb_next
        if after is not node.tb_next:
            node.tb_next = after
        node = after
    return tb


def unlink(error: BaseException) -> None:
    """Unlinks our entries from the tracebacks of error and of its causes and contexts."""
    seen: set[int] = set()
    pending: list[BaseException | None] = [error]
    while pending:
        current = pending.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        current.__traceback__ = without_own(current.__traceback__)
        pending += [current.__cause__, current.__context__]
        pending += list(getattr(current, "exceptions", ()))  # an exception group's members


def clean_raise(function: F) -> F:
    """function, whose exceptions leave with our entries unlinked (one hook's frame
    stays on 3.10, as the module docstring says)."""

    @functools.wraps(function)
    def clean(*args: Any, **kwargs: Any) -> Any:
        try:
            return function(*args, **kwargs)
        except BaseException as error:
            unlink(error)
            raise

    return cast("F", clean)


def threads_running() -> bool:
    try:
        return len(os.listdir("/proc/self/task")) > 1
    except OSError:
        return threading.active_count() > 1


_STAND_IN_NAME = "__concurtrace_call__"
_stand_ins: dict[tuple[str, int], CodeType] = {}


def call_as_caller(caller: FrameType, function: Callable[[], int]) -> int:
    """Calls a C function from a frame with the caller's file, line and globals, so that a
    warning it gives (os.fork's about threads) reads, and is filtered, as without us: same
    location and source line, same module, same __warningregistry__."""
    line = caller.f_lineno
    if line is None or line < 1:
        return function()
    key = (caller.f_code.co_filename, line)
    code = _stand_ins.get(key)
    if code is None:
        source = "\n" * (line - 1) + f"{_STAND_IN_NAME}()"
        code = _stand_ins[key] = compile(source, caller.f_code.co_filename, "eval")
        STAND_INS.add(code)  # unlinked from tracebacks like our own frames
    result: int = eval(code, caller.f_globals, {_STAND_IN_NAME: function})  # noqa: S307
    return result
