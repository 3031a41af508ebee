"""Is a file a whole trace? Checked before serving or judging it, so a truncated or
foreign file is refused in one line instead of half-loading in the UI."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from concurtrace.exporters.readback import TraceReadError


def check_trace_framing(path: Path, parse_json: bool = True) -> None:
    """Refuses a trace the UI could not load: truncated or corrupt Perfetto framing, invalid
    JSON, JSON without a list of events. Any tool's trace passes. parse_json=False: JSON was
    parsed already (reading the embedded summary stops at its packet, JSON parsing does not)."""
    try:
        with open(path, "rb") as stream:
            head = stream.read(64)
            if not head:
                raise TraceReadError(f"{path} is empty, not a trace")
            if head.lstrip()[:1] in (b"{", b"[") and not parse_json:
                return
            if head.lstrip()[:1] in (b"{", b"["):
                stream.seek(0)
                try:
                    data: Any = json.load(stream)
                except (ValueError, RecursionError):
                    raise TraceReadError(f"{path} is not valid JSON (truncated or corrupt)"
                                         ) from None
                events = data.get("traceEvents") if isinstance(data, dict) else data
                if not isinstance(events, list) or not all(isinstance(e, dict) for e in events):
                    raise TraceReadError(f"{path} is JSON but not a trace (no list of events)")
                return
            _check_packets(stream, path)
    except OSError as error:
        raise TraceReadError(f"cannot read {path}: {error.strerror or error}") from None


def _check_packets(stream: Any, path: Path) -> None:
    size = os.fstat(stream.fileno()).st_size
    offset = 0
    stream.seek(0)
    while offset < size:
        if stream.read(1) != b"\x0a":  # Trace.packet, field 1, length-delimited
            raise TraceReadError(f"{path} is not a trace (corrupt at byte {offset})")
        length, shift, pos = 0, 0, offset + 1
        while True:
            byte = stream.read(1)
            if not byte or shift > 63:
                raise TraceReadError(f"{path} is truncated at byte {pos}")
            length |= (byte[0] & 0x7F) << shift
            pos, shift = pos + 1, shift + 7
            if not byte[0] & 0x80:
                break
        if pos + length > size:
            raise TraceReadError(f"{path} is truncated at byte {pos} (a packet of {length} bytes "
                            f"does not fit)")
        offset = stream.seek(pos + length)
