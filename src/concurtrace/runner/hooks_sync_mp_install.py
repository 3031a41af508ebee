"""Installs the multiprocessing sync hooks when the program (or unpickling in a spawn
child) first imports the module each one patches: importing them ourselves would change
what the program loads."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import Any

from concurtrace.runner.hooks_sync_mp import install_semlock
from concurtrace.runner.hooks_sync_mp_conditions import install_conditions
from concurtrace.runner.hooks_sync_mp_pipe import install_connection
from concurtrace.runner.hooks_sync_mp_pool import install_pool
from concurtrace.runner.hooks_sync_mp_process import install_process_waits
from concurtrace.runner.hooks_sync_mp_proxy import install_proxies
from concurtrace.runner.hooks_sync_mp_queues import install_queues
from concurtrace.runner.hooks_sync_mp_table import table
from concurtrace.runner.hookset import HookSet, Sink
from concurtrace.runner.import_watch import after_import

Patcher = Callable[[HookSet, Sink, Any], None]


def install_synchronize(hooks: HookSet, sink: Sink, module: Any) -> None:
    install_semlock(hooks, sink, module)
    install_conditions(hooks, sink, module)


TARGETS: dict[str, Patcher] = {"multiprocessing.synchronize": install_synchronize,
                               "multiprocessing.queues": install_queues,
                               "multiprocessing.managers": install_proxies,
                               "multiprocessing.connection": install_connection,
                               "multiprocessing.process": install_process_waits,
                               "multiprocessing.pool": install_pool}


def install_sync_mp(hooks: HookSet, sink: Sink) -> None:
    config = getattr(sink, "config", {}) or {}
    if not config.get("sync", True):
        return
    table.configure(getattr(sink, "session", None))
    for name, patcher in TARGETS.items():
        module = sys.modules.get(name)
        if module is not None:
            patcher(hooks, sink, module)
        else:
            after_import(hooks, name, functools.partial(patcher, hooks, sink))
