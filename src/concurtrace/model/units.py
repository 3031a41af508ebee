"""Durations in words, lifetimes that may be unknown, and the default thresholds that the
model's readers share with the CLI (options.py) and the hooks that write the records."""

from __future__ import annotations

SYNC_THRESHOLD_NS = 1_000_000  # blocking waits shorter than this are not kept
ASYNCIO_SLOW_NS = 100_000_000  # a task step or callback this long blocked its loop


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
