"""Reads what the tree left in the session directory, tolerating every way it can be broken."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from concurtrace.model.traces import TraceEvents

TRACE_FILE = re.compile(r"trace-(\d+)-(\d+)\.json$")


def read_traces(directory: Path, warnings: list[str]) -> dict[int, TraceEvents]:
    """pid -> VizTracer events. A file cut short by a kill is dropped with a warning."""
    traces: dict[int, TraceEvents] = {}
    for path in sorted(directory.glob("trace-*.json")):
        match = TRACE_FILE.search(path.name)
        if match is None:
            continue
        pid = int(match.group(1))
        try:
            with open(path, "rb") as stream:
                data: Any = json.load(stream)
        except (OSError, ValueError) as error:
            warnings.append(f"pid {pid}: function trace unreadable ({type(error).__name__}); "
                            "its lifecycle and samples are kept")
            continue
        events = data.get("traceEvents") if isinstance(data, dict) else data
        meta = data.get("viztracer_metadata") if isinstance(data, dict) else None
        if isinstance(meta, dict) and meta.get("overflow"):
            warnings.append(f"pid {pid}: VizTracer's ring buffer overflowed, its earliest calls "
                            "were dropped; raise --tracer-entries or use --max-stack-depth, "
                            "--include-files, --min-duration")
        if isinstance(events, list):
            traces.setdefault(pid, []).extend(e for e in events if isinstance(e, dict))
    return traces
