"""Installs the multiprocessing sync hooks when the program (or unpickling in a spawn
child) first imports the module each one patches: importing them ourselves would change
what the program loads."""

from __future__ import annotations

import importlib.machinery
import sys
from collections.abc import Callable, Sequence
from types import ModuleType
from typing import Any

from concurtrace.runner.hooks_sync_mp import install_semlock
from concurtrace.runner.hooks_sync_mp_conditions import install_conditions
from concurtrace.runner.hooks_sync_mp_proxy import install_proxies
from concurtrace.runner.hooks_sync_mp_queues import install_queues
from concurtrace.runner.hooks_sync_mp_table import table
from concurtrace.runner.hookset import HookSet, Sink

Patcher = Callable[[HookSet, Sink, Any], None]


def install_synchronize(hooks: HookSet, sink: Sink, module: Any) -> None:
    install_semlock(hooks, sink, module)
    install_conditions(hooks, sink, module)


TARGETS: dict[str, Patcher] = {"multiprocessing.synchronize": install_synchronize,
                               "multiprocessing.queues": install_queues,
                               "multiprocessing.managers": install_proxies}


class _SyncImportFinder:  # only find_spec: importlib.abc would cost the program start-up
    def __init__(self, hooks: HookSet, sink: Sink) -> None:
        self.hooks, self.sink, self.busy = hooks, sink, False

    def find_spec(self, fullname: str, path: Sequence[str] | None,
                  target: ModuleType | None = None) -> importlib.machinery.ModuleSpec | None:
        patcher = TARGETS.get(fullname)
        if patcher is None or self.busy:
            return None
        self.busy = True
        try:
            spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        finally:
            self.busy = False
        if spec is None or spec.loader is None:
            return None
        loader, hooks, sink = spec.loader, self.hooks, self.sink
        orig_exec = loader.exec_module

        def exec_module(module: ModuleType) -> None:
            orig_exec(module)
            patcher(hooks, sink, module)

        hooks.patch(loader, "exec_module", exec_module)
        return spec


def install_sync_mp(hooks: HookSet, sink: Sink) -> None:
    config = getattr(sink, "config", {}) or {}
    if not config.get("sync", True):
        return
    table.configure(getattr(sink, "session", None))
    pending = False
    for name, patcher in TARGETS.items():
        module = sys.modules.get(name)
        if module is not None:
            patcher(hooks, sink, module)
        else:
            pending = True
    if pending:
        finder = _SyncImportFinder(hooks, sink)
        sys.meta_path.insert(0, finder)
        hooks.on_uninstall(lambda: sys.meta_path.remove(finder)
                           if finder in sys.meta_path else None)
