"""Value classes without dataclasses: each class writes its own `__slots__` and `__init__`;
these bases give it the `repr` and `==` a dataclass would.

Why: `@dataclass` compiles its generated methods when the class is made, ~0.6 ms a class
(callgrind: 2.8 M instructions each on 3.11), and the post-run path of every `concurtrace
run` made 32 of them: ~20 ms of the parent's CPU, a fifth of a short run (issue 18).
"""

from __future__ import annotations

from typing import Any


class Plain:
    """Mutable: equal when of the same type with equal fields; not hashable."""

    __slots__ = ()

    def _fields(self) -> tuple[Any, ...]:
        names: tuple[str, ...] = self.__slots__  # the subclass's own, in __init__'s order
        return tuple(getattr(self, name) for name in names)

    def __repr__(self) -> str:
        names: tuple[str, ...] = self.__slots__
        fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in names)
        return f"{type(self).__name__}({fields})"

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self) or not isinstance(other, Plain):
            return NotImplemented
        return self._fields() == other._fields()

    __hash__: Any = None  # as a dataclass with eq and not frozen


class FrozenPlain(Plain):
    """Never changed after __init__ (by convention: its fields are read-only to readers),
    so hashable by its fields, as a frozen dataclass."""

    __slots__ = ()

    def __hash__(self) -> int:
        return hash(self._fields())
