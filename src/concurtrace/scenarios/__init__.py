"""The scenario gallery: small runnable scripts that each show one concurrency behaviour.

Every scenario is a plain script (``python scenarios/threads.py`` works without
concurtrace). Its module docstring starts with a one-line description, then says
what to look for in the timeline. Each also declares a literal ``EXPECT = {...}``
with the facts a concurtrace summary of it must show (read with ``ast``, never by
executing the script; see ``tests/gallery_expect.py``).

This module imports only the standard library and never imports the scenarios.
"""

from __future__ import annotations

import ast
from pathlib import Path

from concurtrace.model.plain import FrozenPlain

SCENARIO_DIR = Path(__file__).resolve().parent
DEFAULT_SCENARIO = "threads"  # what `concurtrace run` runs without a target


class Scenario(FrozenPlain):
    """One gallery script: its stem, its one-line description and its path."""

    name: str
    description: str
    path: Path

    __slots__ = ("name", "description", "path")

    def __init__(self, name: str, description: str, path: Path) -> None:
        self.name = name
        self.description = description
        self.path = path


def scenario_paths() -> list[Path]:
    """All scenario scripts, sorted by name (private files starting with "_" excluded)."""
    return sorted(p for p in SCENARIO_DIR.glob("*.py") if not p.name.startswith("_"))


def describe(path: Path) -> str:
    """First line of the script's module docstring ("" if it has none or cannot be read)."""
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    except (SyntaxError, OSError, ValueError):
        return ""
    doc = ast.get_docstring(tree) or ""
    return doc.strip().splitlines()[0].strip() if doc.strip() else ""


def scenarios() -> list[Scenario]:
    """The gallery, for `concurtrace scenarios`."""
    return [Scenario(p.stem, describe(p), p) for p in scenario_paths()]


def find(name: str) -> Scenario | None:
    """A scenario by stem ("threads") or file name ("threads.py")."""
    stem = name[:-3] if name.endswith(".py") else name
    for sc in scenarios():
        if sc.name == stem:
            return sc
    return None
