"""multiprocessing Process.join waits (Popen.wait underneath), and the exit join.

A join of a child still running is split like a lock's acquire: a silent join up to the
threshold, then a recorded wait around multiprocessing's own join (its assertions, its
traceback when interrupted). The wait names the child's pid ("target_pid"): the model
credits its end to the child's exit. multiprocessing's exit function joins every
non-daemon child the program left running: that wait is "mp.Process.exit_join",
drawn as "waiting at exit for ...", never the program's own join.
"""

from __future__ import annotations

import sys
import threading
import time

from concurtrace.runner.hooks_sync_mp import creation_site, label_of
from concurtrace.runner.hooks_sync_naming import object_key, settings
from concurtrace.runner.hookset import HookSet, Sink, in_exit_function
from concurtrace.runner.own_frames import clean_raise

TYPE_CHECKING = False  # not typing's: importing typing costs every process that uses mp
if TYPE_CHECKING:
    from typing import Any

_now = time.monotonic_ns
SITE = "_concurtrace_site"


def _label(process: Any) -> str:
    name = getattr(process, "_name", None)
    label = label_of("Process", process.__dict__.get(SITE))[3:]  # Process@file:line
    return label + (f" ({name})" if name else "")


def _joined(sink: Sink, join: Any, process: Any, timeout: Any, frame: Any) -> Any:
    threshold = settings.threshold_s
    start = _now()
    join(process, threshold if timeout is None else min(threshold, timeout))
    if process.exitcode is not None or (timeout is not None and timeout <= threshold):
        return None
    rest = None if timeout is None else max(0.0, timeout - (_now() - start) / 1e9)
    me = threading.get_native_id()
    at_exit = in_exit_function()
    sink.write({"ev": "wait_begin", "ts": start, "tid": me, "obj": object_key(process),
                "kind": "mp.Process.exit_join" if at_exit else "mp.Process.join",
                "label": _label(process), "target_pid": process.pid, "timeout": timeout,
                "stack": settings.stack(frame)})
    outcome = "interrupted"
    settings.busy.on = True
    try:
        result = join(process, rest)
        outcome = "exited" if process.exitcode is not None else "timed_out"
        return result
    finally:
        settings.busy.on = False
        sink.write({"ev": "wait_end", "ts": _now(), "tid": me, "obj": object_key(process),
                    "outcome": outcome})


def install_process_waits(hooks: HookSet, sink: Sink, module: Any) -> None:
    base = module.BaseProcess
    orig_init, orig_join = base.__init__, base.join

    def init(self: Any, /, *args: Any, **kwargs: Any) -> None:
        orig_init(self, *args, **kwargs)
        self.__dict__[SITE] = creation_site()

    def join(self: Any, timeout: Any = None) -> Any:
        popen = getattr(self, "_popen", None)
        if settings.sink is None or settings.is_busy() or popen is None \
                or getattr(popen, "returncode", None) is not None \
                or (timeout is not None and (type(timeout) not in (int, float)
                                             or timeout <= settings.threshold_s)):
            return orig_join(self, timeout)  # its own checks and errors, as without us
        return _joined(sink, orig_join, self, timeout, sys._getframe(1))

    for name, function in (("__init__", init), ("join", join)):
        function.__name__, function.__qualname__ = name, f"BaseProcess.{name}"
        hooks.patch(base, name, clean_raise(function))
