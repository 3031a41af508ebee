"""Installs the multiprocessing sync hooks when the program (or unpickling in a spawn
child) first imports the module each one patches: importing them ourselves would change
what the program loads, and the hook modules themselves (hooks_sync_mp_patchers.py) are
imported only then, not in every traced process."""

from __future__ import annotations

import functools
import sys

from concurtrace.runner.hookset import HookSet, Sink
from concurtrace.runner.import_watch import after_import

TYPE_CHECKING = False  # not typing's: importing typing costs every traced process
if TYPE_CHECKING:
    from typing import Any

# hooks_sync_mp_patchers.TARGETS' keys (tests/test_startup.py checks they agree)
WATCHED = ("multiprocessing.synchronize", "multiprocessing.queues", "multiprocessing.managers",
           "multiprocessing.connection", "multiprocessing.process", "multiprocessing.pool",
           "concurrent.futures.process")


def install_sync_mp(hooks: HookSet, sink: Sink) -> None:
    config = getattr(sink, "config", {}) or {}
    if not config.get("sync", True):
        return
    for name in WATCHED:
        module = sys.modules.get(name)
        if module is not None:
            _patch(hooks, sink, name, module)
        else:
            after_import(hooks, name, functools.partial(_patch, hooks, sink, name))


def _patch(hooks: HookSet, sink: Sink, name: str, module: Any) -> None:
    from concurtrace.runner.hooks_sync_mp_patchers import patch  # here: see the docstring

    patch(hooks, sink, name, module)
