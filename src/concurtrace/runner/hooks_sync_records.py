"""The three sync record kinds the hooks write (model/sync.py reads them back)."""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable

from concurtrace.runner.hooks_sync_naming import SITE_ATTR, named_label, object_key, settings
from concurtrace.runner.hookset import Sink

TYPE_CHECKING = False  # not typing's: importing typing costs every traced process
if TYPE_CHECKING:
    from typing import Any

_now = time.monotonic_ns


def begin(sink: Sink, obj: Any, kind: str, start: int, **extra: Any) -> None:
    label = extra.pop("label", None) or named_label(
        obj, kind.split(".")[0], getattr(obj, SITE_ATTR, None), sys._getframe(1))
    record = {"ev": "wait_begin", "ts": start, "tid": threading.get_native_id(),
              "obj": object_key(obj), "kind": kind, "label": label, "stack": settings.stack()}
    record.update(extra)  # the joined thread
    sink.write(record)


def end(sink: Sink, obj: Any, outcome: str) -> None:
    sink.write({"ev": "wait_end", "ts": _now(), "tid": threading.get_native_id(),
                "obj": object_key(obj), "outcome": outcome})


def signal(sink: Sink, obj: Any, op: str, ts: int) -> None:
    record = {"ev": "sync_signal", "ts": ts, "tid": threading.get_native_id(),
              "obj": object_key(obj), "op": op}
    via = settings.busy.via  # completing a process pool's future: the worker's call
    if via is not None:
        record["via"] = via
    sink.write(record)


def whole_wait(sink: Sink, obj: Any, kind: str, orig: Callable[..., Any], args: tuple[Any, ...],
                done: str) -> Any:
    """One wait that cannot be split: begin at once, then the original, then its end."""
    begin(sink, obj, kind, _now())
    outcome = "interrupted"
    settings.busy.on = True
    try:
        result = settings.call(orig, obj, *args)
        outcome = done if result else "timed_out"
        return result
    finally:
        settings.busy.on = False
        end(sink, obj, outcome)
