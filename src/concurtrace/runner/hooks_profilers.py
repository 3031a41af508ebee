"""The program's own profiler (cProfile, profile, sys.setprofile) and our function trace.

One profiler runs at a time. On 3.12+ both cProfile and VizTracer take sys.monitoring's
PROFILER_ID, and `python -m cProfile` under full mode died with "Another profiling tool
is already active": when the program asks for the tool VizTracer holds, VizTracer stops
first and the program gets it. Before 3.12 a profile function is per thread and the
program's replaces VizTracer's silently: the trace's calls in that thread end there.
Either way the trace says so (a trace_stopped record with the profiler's name).

VizTracer also stops by itself when CPython reports a return it never saw the call of
(3.11's coroutine throw, greenlet switches), with a RuntimeWarning that landed in the
program's stderr: it is kept out, and recorded as a trace_stopped without a profiler.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from types import ModuleType

from concurtrace.runner.hookset import HookSet, Sink
from concurtrace.runner.import_watch import after_import

TYPE_CHECKING = False  # not typing's: importing typing costs every traced process
if TYPE_CHECKING:
    from typing import Any


TRACER_STOPPED = "VizTracer: Unexpected function return"


def install_profilers(hooks: HookSet, sink: Sink) -> None:
    if not hasattr(sink, "profiler_starts"):
        return
    if "warnings" in sys.modules:  # VizTracer imports it: always, in full mode
        _install_tracer_warning(hooks, sink, sys.modules["warnings"])
    else:
        after_import(hooks, "warnings",
                     lambda module: _install_tracer_warning(hooks, sink, module))
    monitoring = getattr(sys, "monitoring", None)
    if monitoring is not None:  # 3.12+: cProfile's C code calls it through the module
        hooks.patch(monitoring, "use_tool_id", _use_tool_id(monitoring, sink))
        return
    hooks.patch(sys, "setprofile", _setprofile(sys.setprofile, sink))
    if "cProfile" in sys.modules:
        _install_cprofile(hooks, sink, sys.modules["cProfile"])
    else:
        after_import(hooks, "cProfile", lambda module: _install_cprofile(hooks, sink, module))


def _install_tracer_warning(hooks: HookSet, sink: Sink, module: ModuleType) -> None:
    """_warnings' C code shows a warning through warnings._showwarnmsg, looked up at each
    warning: the one place both C and Python warnings pass once the filters let them."""
    orig: Any = getattr(module, "_showwarnmsg", None)
    if orig is None:
        return

    def _showwarnmsg(msg: Any, /) -> Any:
        if getattr(msg, "category", None) is RuntimeWarning \
                and str(getattr(msg, "message", "")).startswith(TRACER_STOPPED):
            sink.tracer_stops_itself()
            return None
        return orig(msg)

    hooks.patch(module, "_showwarnmsg", _showwarnmsg)


def _use_tool_id(monitoring: Any, sink: Sink) -> Callable[..., Any]:
    orig = monitoring.use_tool_id

    def use_tool_id(tool_id: int, name: str, /) -> Any:
        try:
            taken = monitoring.get_tool(tool_id) == "viztracer"
        except (TypeError, ValueError):  # a bad id: the original says so
            taken = False
        if taken:
            sink.profiler_starts(str(name))
        return orig(tool_id, name)

    return use_tool_id


def _setprofile(orig: Callable[[Any], None], sink: Sink) -> Callable[[Any], None]:
    def setprofile(function: Any, /) -> None:
        # VizTracer's own (its thread hook installs itself in each new thread) passes
        if function is not None and not sink.is_tracer(getattr(function, "__self__", None)):
            sink.profiler_starts(_name(function))
        orig(function)

    return setprofile


def _install_cprofile(hooks: HookSet, sink: Sink, module: ModuleType) -> None:
    """cProfile.Profile.enable sets its C profile function without sys.setprofile."""
    profile: Any = getattr(module, "Profile", None)
    if profile is None:
        return
    orig_enable = profile.enable

    def enable(self: Any, /, *args: Any, **kwargs: Any) -> Any:
        sink.profiler_starts("cProfile")
        return orig_enable(self, *args, **kwargs)

    hooks.patch(profile, "enable", enable)


def _name(function: Any) -> str:
    owner = getattr(function, "__self__", None)
    if owner is not None:
        return f"{type(owner).__module__}.{type(owner).__qualname__}"
    return str(getattr(function, "__qualname__", None) or type(function).__name__)
