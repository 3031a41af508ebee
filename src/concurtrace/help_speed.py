"""`--help` without rich's Markdown and Traceback: ~50 ms of imports it never uses.

typer (< 0.29) renders help with typer.rich_utils, which imports at its top
`rich.markdown.Markdown` (markdown_it and its rules: ~30 ms) and `rich.traceback.Traceback`
(rich.syntax, pygments: ~17 ms). It builds a Markdown only with rich_markup_mode="markdown"
(ours is "rich") and a Traceback only to print an internal error. Until one of them is
used, a stand-in module answers those two names; the first use of either (or of anything
else in the module) imports the real module, so what typer prints is the same.
The CLI process only: never installed in a traced program.
"""

from __future__ import annotations

import importlib
import sys
from types import ModuleType
from typing import Any

DEFERRED = {"rich.markdown": "Markdown", "rich.traceback": "Traceback"}


def _real(module: str) -> ModuleType:
    stand_in = sys.modules.get(module)
    if isinstance(stand_in, _StandIn):
        del sys.modules[module]
    real = importlib.import_module(module)
    sys.modules[module] = real
    return real


class _Deferred(type):
    """The metaclass of a stand-in class: its attributes are the real class's."""

    module: str

    def __getattr__(cls, name: str) -> Any:
        if name.startswith("__"):  # probes such as `Markdown | Text` makes: not a use
            raise AttributeError(name)
        return getattr(getattr(_real(cls.module), cls.__name__), name)


def _stand_in_class(module: str, name: str) -> type:
    def __new__(cls: type, *args: Any, **kwargs: Any) -> Any:  # noqa: N807
        return getattr(_real(module), name)(*args, **kwargs)

    return _Deferred(name, (), {"__new__": __new__, "module": module})


class _StandIn(ModuleType):
    def __getattr__(self, name: str) -> Any:  # any other name: the real module's
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(_real(self.__name__), name)


def defer_unused_rich() -> None:
    """Installs the stand-ins unless the real modules are loaded (or rich is absent)."""
    for module, name in DEFERRED.items():
        if module in sys.modules:
            continue
        stand_in = _StandIn(module)
        setattr(stand_in, name, _stand_in_class(module, name))
        sys.modules[module] = stand_in
