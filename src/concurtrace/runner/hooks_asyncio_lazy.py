"""Install the asyncio hooks only when the program imports asyncio: importing it in every
traced process would cost start-up time, change sys.modules and what a program that never
uses asyncio does at start (it imports selectors, ssl, concurrent.futures ...).

A finder at the front of sys.meta_path sees the import of the "asyncio" package, lets the
normal machinery load it, and installs the hooks right after the package has run; it then
leaves sys.meta_path, and the loader loses the wrapper it had for that one import.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from importlib.machinery import ModuleSpec, PathFinder
from types import ModuleType
from typing import Any

from concurtrace.runner.hookset import HookSet, Sink
from concurtrace.runner.own_frames import unlink


def install_asyncio_lazily(hooks: HookSet, sink: Sink) -> None:
    config = getattr(sink, "config", {}) or {}
    if not config.get("asyncio", True):
        return

    def install() -> None:
        from concurtrace.runner.hooks_asyncio import install_asyncio

        install_asyncio(hooks, sink)

    if "asyncio.base_events" in sys.modules:
        install()
        return
    after_import("asyncio", hooks, install)


def after_import(name: str, hooks: HookSet, install: Callable[[], None]) -> None:
    """install() right after the top-level package `name` has been imported."""
    finder = _AsyncioFinder(hooks, install, name)
    sys.meta_path.insert(0, finder)
    hooks.on_uninstall(finder.leave)


class _AsyncioFinder:  # only find_spec: importlib.abc would cost ~14 ms at start (hooks_mp)
    def __init__(self, hooks: HookSet, install: Callable[[], None], name: str) -> None:
        self.hooks, self.install, self.name = hooks, install, name

    def leave(self) -> None:
        try:
            sys.meta_path.remove(self)
        except ValueError:
            pass

    def find_spec(self, name: str, path: Any = None,
                  target: Any = None) -> ModuleSpec | None:
        if name != self.name:
            return None
        self.leave()
        spec = PathFinder.find_spec(name, path)
        if spec is None or spec.loader is None or not hasattr(spec.loader, "exec_module"):
            return spec
        loader, install = spec.loader, self.install
        orig_exec = loader.exec_module

        def exec_module(module: ModuleType) -> None:
            try:
                orig_exec(module)
            except BaseException as error:
                unlink(error)
                raise
            finally:
                vars(loader).pop("exec_module", None)  # the loader as it was
            try:
                install()
            except Exception:  # noqa: BLE001 - an asyncio we cannot hook runs untraced
                pass

        loader.exec_module = exec_module  # type: ignore[method-assign]
        return spec
