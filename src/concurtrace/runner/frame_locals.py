"""A frame's local variables, read by the hooks without keeping them alive.

Before 3.13 (PEP 667), `frame.f_locals` of a function frame is a snapshot dict that the
frame keeps (PyFrame_FastToLocals) until the next read refreshes it. A hook that read a
frame's locals to name a lock (find_name) or find a method's `self` (outer_call) thus kept
every local of that frame alive: `del res` in the program no longer freed res (its
`__del__`, its weakref callbacks ran later, in whatever thread read that frame next).
CPython 3.10's test_concurrent_futures test_del_shutdown hung so: the executor, kept by the
snapshot of the manager thread's `run` frame after its `del executor`, was freed by the
next read while that thread held the executor's shutdown lock, and its weakref callback
took that lock again. Here the snapshot is copied and emptied: the frame keeps an empty
dict, and the copy dies with the hook's search.

Not emptied: a frame whose code may hold or read its own snapshot (it calls locals(),
vars(), dir(), exec or eval: `ns = locals()` is that very dict), frames whose f_locals
is their namespace (module and class bodies: not CO_OPTIMIZED), and none while this thread
runs a trace or profile function written in Python (pdb, coverage's PyTracer, profile):
around each call of it CPython writes the snapshot back into the frame
(PyFrame_LocalsToFast), and an emptied one would unbind the frame's locals.
"""

from __future__ import annotations

import sys
import types

TYPE_CHECKING = False  # not typing's: importing typing costs every traced process
if TYPE_CHECKING:
    from typing import Any

CO_OPTIMIZED = 0x1  # inspect.CO_OPTIMIZED, without importing inspect
SNAPSHOT = sys.version_info < (3, 13)
OWN_SNAPSHOT = frozenset({"locals", "vars", "dir", "exec", "eval"})


def frame_locals(frame: Any) -> Any:
    """The frame's locals now, as a mapping the frame does not keep (see above)."""
    local = frame.f_locals
    code = frame.f_code
    if not SNAPSHOT or not code.co_flags & CO_OPTIMIZED or not OWN_SNAPSHOT.isdisjoint(
            code.co_names) or _python_tracer():
        return local
    found = dict(local)
    local.clear()
    return found


def _python_tracer() -> bool:
    """This thread runs under a trace or profile function of Python (not a C one such as
    VizTracer's or cProfile's, which never write a snapshot back)."""
    return sys.gettrace() is not None or isinstance(
        sys.getprofile(), (types.FunctionType, types.MethodType))


def frame_local(frame: Any, name: str) -> Any:
    """One local of the frame (None if unbound), the frame keeping no snapshot of it."""
    return frame_locals(frame).get(name)
