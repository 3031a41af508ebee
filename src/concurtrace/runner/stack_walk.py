"""Our frames out of the stacks the program prints of live threads.

A hang dumper (pytest-timeout's thread method, a watchdog of the program's own) prints
every thread's stack with `traceback.format_stack(sys._current_frames()[ident])`: a thread
waiting in a hooked Event.wait showed our hook's frames between the program's. Such a
stack is walked by traceback.walk_stack from a given frame, which we wrap to skip ours.
"""

from __future__ import annotations

import sys
from types import FrameType, ModuleType

from concurtrace.runner.hookset import HookSet
from concurtrace.runner.import_watch import after_import
from concurtrace.runner.own_frames import is_own

TYPE_CHECKING = False  # not typing's: importing typing costs every traced process
if TYPE_CHECKING:
    from collections.abc import Callable, Iterator


def install_stack_walk(hooks: HookSet) -> None:
    if "traceback" in sys.modules:
        _patch(hooks, sys.modules["traceback"])
    else:
        after_import(hooks, "traceback", lambda module: _patch(hooks, module))


def _patch(hooks: HookSet, module: ModuleType) -> None:
    orig: Callable[[FrameType | None], Iterator[tuple[FrameType, int]]] = module.walk_stack

    def walk_stack(f: FrameType | None) -> Iterator[tuple[FrameType, int]]:
        if f is None:  # walk_stack counts its callers' frames up from its own: as it is
            return orig(f)
        return (entry for entry in orig(f) if not is_own(entry[0].f_code.co_filename))

    hooks.patch(module, "walk_stack", walk_stack)
