"""A coroutine never awaited (issue 17's task_never_awaited): CPython's finalizer of a
coroutine that never started calls warnings._warn_unawaited_coroutine(coro), which warns
"coroutine 'x' was never awaited" with stacklevel=2, naming the frame that was running.

No frame of ours may stand between that C call and the warning: stacklevel counts frames,
and with -W error the raised RuntimeWarning's traceback (printed by "Exception ignored
in") would list ours (3.10 keeps a re-raising handler's entry, see own_frames). So the
replacement is the original's own code object in a function whose globals read warnings'
namespace live, through a dict subclass: LOAD_GLOBAL of a non-exact dict calls its
__getitem__ (3.10-3.13), and the one for `warn` notes the coroutine, returns, and the
original's frame calls warnings.warn itself. Text, location, filters, registry, source=
and tracebacks are the program's; only the function object is another.
"""

from __future__ import annotations

import sys
import threading
import time
import types
from types import FrameType
from typing import Any

from concurtrace.runner.frame_locals import frame_local
from concurtrace.runner.hookset import HookSet, Sink
from concurtrace.runner.own_frames import is_own


class _LiveGlobals(dict[str, Any]):
    """warnings.__dict__ as the copied function reads it: each name looked up live (a
    program that replaces warnings.warn is seen); the copy's own items serve the C
    look-ups that bypass __getitem__ (__builtins__ when the function is made)."""

    __slots__ = ("module", "sink", "on")
    module: dict[str, Any]
    sink: Sink
    on: list[bool]

    def __getitem__(self, name: str) -> Any:
        if name == "warn" and self.on[0]:
            try:
                _noted(self.sink, sys._getframe(1))
            except Exception:  # noqa: BLE001 - our bookkeeping never breaks the program
                pass
        return self.module[name]  # a KeyError: LOAD_GLOBAL goes on to builtins


def install_unawaited(hooks: HookSet, sink: Sink) -> None:
    import warnings

    orig = getattr(warnings, "_warn_unawaited_coroutine", None)
    code = getattr(orig, "__code__", None)
    if not isinstance(orig, types.FunctionType) or code is None \
            or "warn" not in code.co_names or orig.__closure__:
        return  # not the function this module knows: leave it alone
    namespace = _LiveGlobals(vars(warnings))
    namespace.module, namespace.sink, namespace.on = vars(warnings), sink, [True]
    copy = types.FunctionType(code, namespace, orig.__name__, orig.__defaults__)
    copy.__kwdefaults__ = orig.__kwdefaults__
    copy.__qualname__ = orig.__qualname__
    copy.__module__ = orig.__module__
    hooks.patch(warnings, "_warn_unawaited_coroutine", copy)
    hooks.on_uninstall(lambda: namespace.on.__setitem__(0, False))


def _noted(sink: Sink, warning_frame: FrameType) -> None:
    """warning_frame: the original's, about to warn; its caller was running when the
    coroutine was dropped."""
    coro = frame_local(warning_frame, "coro")
    code = getattr(coro, "cr_code", None)
    frame = warning_frame.f_back
    while frame is not None and is_own(frame.f_code.co_filename):
        frame = frame.f_back
    origin = getattr(coro, "cr_origin", None)  # sys.set_coroutine_origin_tracking_depth
    sink.write({
        "ev": "anever", "ts": time.monotonic_ns(), "tid": threading.get_native_id(),
        "coro": str(getattr(coro, "__qualname__", "?")),
        "defined": f"{code.co_filename}:{code.co_firstlineno}" if code is not None else None,
        "dropped": f"{frame.f_code.co_filename}:{frame.f_lineno}" if frame is not None
        else None,
        "created": f"{origin[0][0]}:{origin[0][1]}" if origin else None})
