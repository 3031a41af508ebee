"""Hooks installed when the program first imports the module they patch.

Importing asyncio, concurrent.futures or multiprocessing ourselves in every traced process
would cost start-up time and change what the program loads (sys.modules, import order, a
program that never uses them). One finder at the front of sys.meta_path sees the import
of a watched module, lets the normal machinery find and run it, and calls its installers
right after the module's code has run; the loader loses the wrapper it had for that one
import, and the finder leaves sys.meta_path once nothing is left to watch.
"""

from __future__ import annotations

import sys

# importlib.machinery's PathFinder, from where the interpreter keeps it: importing the
# importlib package (and warnings) would cost every traced process
from _frozen_importlib_external import PathFinder
from collections.abc import Callable, Sequence
from types import ModuleType

from concurtrace.runner.hookset import HookSet
from concurtrace.runner.own_frames import unlink

TYPE_CHECKING = False  # not typing's: importing typing costs every traced process
if TYPE_CHECKING:
    from importlib.machinery import ModuleSpec

Installer = Callable[[ModuleType], None]


class _ImportWatch:  # only find_spec: importlib.abc would cost the program ~14 ms at start
    def __init__(self) -> None:
        self.pending: dict[str, list[Installer]] = {}

    def watch(self, name: str, install: Installer) -> None:
        self.pending.setdefault(name, []).append(install)
        if self not in sys.meta_path:
            sys.meta_path.insert(0, self)

    def leave(self) -> None:
        self.pending.clear()
        try:
            sys.meta_path.remove(self)
        except ValueError:
            pass

    def find_spec(self, name: str, path: Sequence[str] | None = None,
                  target: ModuleType | None = None) -> ModuleSpec | None:
        installers = self.pending.pop(name, None)
        if installers is None:
            return None
        if not self.pending:
            self.leave()
        spec = PathFinder.find_spec(name, path)
        if spec is None or spec.loader is None or not hasattr(spec.loader, "exec_module"):
            return spec  # not found here, or loaded another way: it stays unhooked
        loader = spec.loader
        orig_exec = loader.exec_module

        def exec_module(module: ModuleType) -> None:
            try:
                orig_exec(module)
            except BaseException as error:  # the program's import error, without our frame
                unlink(error)
                raise
            finally:
                vars(loader).pop("exec_module", None)  # the loader as it was
            for install in installers:
                try:
                    install(module)
                except Exception:  # noqa: BLE001 - a module we cannot hook runs unrecorded
                    pass

        loader.exec_module = exec_module  # type: ignore[method-assign]
        return spec


_WATCH = _ImportWatch()


def after_import(hooks: HookSet, name: str, install: Installer) -> None:
    """install(module) right after the program's first import of `name` has run it."""
    _WATCH.watch(name, install)
    hooks.on_uninstall(_WATCH.leave)
