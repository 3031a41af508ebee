"""Install the asyncio hooks only when the program imports asyncio: importing it in every
traced process would cost start-up time, change sys.modules and what a program that never
uses asyncio does at start (it imports selectors, ssl, concurrent.futures ...).

A finder at the front of sys.meta_path sees the import of the "asyncio" package, lets the
normal machinery load it, and installs the hooks right after the package has run; it then
leaves sys.meta_path and gives the module its own loader back.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from importlib.abc import Loader, MetaPathFinder
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
    finder = _AsyncioFinder(install)
    sys.meta_path.insert(0, finder)
    hooks.on_uninstall(finder.leave)


class _AsyncioFinder(MetaPathFinder):
    def __init__(self, install: Callable[[], None]) -> None:
        self.install = install

    def leave(self) -> None:
        try:
            sys.meta_path.remove(self)
        except ValueError:
            pass

    def find_spec(self, name: str, path: Any = None,
                  target: Any = None) -> ModuleSpec | None:
        if name != "asyncio":
            return None
        self.leave()
        spec = PathFinder.find_spec(name, path)
        if spec is None or spec.loader is None or not hasattr(spec.loader, "exec_module"):
            return spec
        spec.loader = _Loader(spec.loader, self.install)
        return spec


class _Loader(Loader):
    def __init__(self, inner: Any, install: Callable[[], None]) -> None:
        self.inner, self.install = inner, install

    def create_module(self, spec: ModuleSpec) -> ModuleType | None:
        module: ModuleType | None = self.inner.create_module(spec)
        return module

    def exec_module(self, module: ModuleType) -> None:
        try:
            self.inner.exec_module(module)
        except BaseException as error:
            unlink(error)
            raise
        finally:
            if module.__spec__ is not None:
                module.__spec__.loader = self.inner
            module.__loader__ = self.inner
        try:
            self.install()
        except Exception:  # noqa: BLE001 - an asyncio we cannot hook runs untraced
            pass
