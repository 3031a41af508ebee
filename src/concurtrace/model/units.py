"""Durations in words, and lifetimes that may be unknown."""

from __future__ import annotations


def human_duration(ns: int | None) -> str:
    if ns is None:
        return "?"
    seconds = ns / 1e9
    if seconds >= 60:
        return f"{int(seconds // 60)} min {seconds % 60:.0f} s"
    if seconds >= 1:
        return f"{seconds:.2f} s"
    if seconds >= 0.001:
        return f"{seconds * 1000:.0f} ms"
    return f"{seconds * 1e6:.0f} µs"


def short_duration(ns: float) -> str:
    """Like human_duration but never in minutes (a wait or a block: "75.20 s")."""
    return f"{ns / 1e9:.2f} s" if ns >= 1e9 else f"{ns / 1e6:.0f} ms" if ns >= 1e6 \
        else f"{ns / 1e3:.0f} µs"


def lifetime(start: int | None, end: int | None) -> int | None:
    return end - start if start is not None and end is not None else None
