"""Typed decoders for VizTracer's dumps (msgspec), imported only when there are dumps."""

from __future__ import annotations

from typing import Any

import msgspec


class VizEvent(msgspec.Struct, gc=False):
    """The fields of a VizTracer event the merge reads (others are skipped unparsed)."""

    ph: str = ""
    ts: float | None = None
    dur: float = 0.0
    tid: int | None = None
    name: str = "?"
    args: Any = None


class VizDump(msgspec.Struct, gc=False):
    traceEvents: list[VizEvent] = []  # noqa: N815 (VizTracer's key)
    viztracer_metadata: Any = None


EVENTS = msgspec.json.Decoder(list[VizEvent])
DUMP = msgspec.json.Decoder(VizDump)
