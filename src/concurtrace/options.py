"""The tracer's and the sampler's defaults, in one place: the CLI's option defaults,
RunConfig and the child bootstrap (which reads them back from the session's config.json)
all read these. Standard library only: `--help` and the traced program import it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

DEFAULT_SAMPLE_HZ = 500.0  # thread-state samples per second (model/samples.py's correction
# assumes about this rate or more)
# model/units.py's SYNC_THRESHOLD_NS and ASYNCIO_SLOW_NS, which the hooks and the model read
# (tests/test_startup.py checks they agree: --help may not import the model).
DEFAULT_SYNC_THRESHOLD_MS = 1.0  # blocking waits shorter than this are not kept
DEFAULT_ASYNCIO_SLOW_MS = 100.0  # as asyncio's slow_callback_duration
DEFAULT_DEADLOCK_AFTER_S = 5.0  # the live deadlock detector looks at waits this old


class TracerOptions(NamedTuple):
    """How VizTracer traces each process. (A NamedTuple, not a dataclass: the traced
    program would import dataclasses, and with it inspect, ~6 ms, only for this.)"""

    max_stack_depth: int = -1  # -1: all
    min_duration: float = 0.0  # µs: shorter calls are dropped
    include_files: list[str] | None = None  # None: all code but concurtrace's own
    tracer_entries: int = 1_000_000  # ring buffer size per process

    def to_config(self) -> dict[str, Any]:
        return self._asdict()

    @classmethod
    def from_config(cls, data: Mapping[str, Any]) -> TracerOptions:
        """From a session's config.json; a missing key takes its default."""
        default = cls()
        include = data.get("include_files")
        return cls(max_stack_depth=int(data.get("max_stack_depth", default.max_stack_depth)),
                   min_duration=float(data.get("min_duration", default.min_duration)),
                   include_files=list(include) if include else None,
                   tracer_entries=int(data.get("tracer_entries", default.tracer_entries)))


DEFAULT_TRACER = TracerOptions()
