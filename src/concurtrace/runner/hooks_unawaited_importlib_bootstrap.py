"""A coroutine never awaited (issue 17's task_never_awaited): CPython's finalizer of a
coroutine that never started calls warnings._warn_unawaited_coroutine(coro), which warns
"coroutine 'x' was never awaited" with stacklevel=2, naming the frame that was running.

Our wrapper notes the coroutine, then calls the original. Its frame must not count as a
stack level, or the warning would name our file: warnings skips frames whose file name
holds "importlib" and "_bootstrap" (CPython's is_internal_frame, 3.10-3.13, meant for the
import machinery), hence this module's name. The warning's text, location, filters and
registry are the program's; with -W error the raise leaves without our entry (3.11+).
Not on 3.10: there a re-raise keeps our frame's traceback entry (own_frames), and the
"Exception ignored in" report of a -W error run would show it.
"""

from __future__ import annotations

import sys
import threading
import time
from types import FrameType
from typing import Any

from concurtrace.runner.hookset import HookSet, Sink
from concurtrace.runner.own_frames import is_own, unlink


def install_unawaited(hooks: HookSet, sink: Sink) -> None:
    import warnings

    orig = getattr(warnings, "_warn_unawaited_coroutine", None)
    if orig is None or sys.version_info < (3, 11):
        return
    on = [True]

    def _warn_unawaited_coroutine(coro: Any) -> Any:
        if on[0]:
            try:
                _noted(sink, coro)
            except Exception:  # noqa: BLE001 - our bookkeeping never breaks the program
                pass
        try:
            return orig(coro)
        except BaseException as error:  # -W error: the warning raised
            unlink(error)
            raise

    hooks.patch(warnings, "_warn_unawaited_coroutine", _warn_unawaited_coroutine)
    hooks.on_uninstall(lambda: on.__setitem__(0, False))


def _noted(sink: Sink, coro: Any) -> None:
    code = getattr(coro, "cr_code", None)
    frame: FrameType | None = sys._getframe(2)  # running when the coroutine was dropped
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
