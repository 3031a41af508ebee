"""Export one kept session and print what identifies the result, to compare two src trees.

    .venv/bin/python bench/same_output.py SESSION_DIR OUT.pftrace
    PYTHONPATH=/tmp/old/src .venv/bin/python bench/same_output.py SESSION_DIR OLD.pftrace

Reads the session (records and VizTracer dumps) as `concurtrace run` does after the tree
ended, adds the lifecycle and the analysis, writes the Perfetto trace, and prints the
trace's SHA-1, its size and the SHA-1 of the timeline as the summary serializes it. Two
trees that print the same line wrote the same bytes (issue 18: the columnar slices,
bench/results/same-output-issue18.json). Sampler data is not in a kept session.
"""

from __future__ import annotations

import hashlib
import io
import json
import sys
from pathlib import Path

from concurtrace.exporters import perfetto
from concurtrace.gc_pause import paused_gc
from concurtrace.model.analysis import analyse
from concurtrace.model.build import build_timeline
from concurtrace.model.lifecycle import add_lifecycle
from concurtrace.model.records import read_session
from concurtrace.model.serialize import timeline_to_dict
from concurtrace.model.sources import Observed
from concurtrace.runner.collect import find_traces


def main() -> None:
    session, out = Path(sys.argv[1]), Path(sys.argv[2])
    records = read_session(session)
    traces = find_traces(session, [])
    with paused_gc():
        timeline = build_timeline(records, traces, Observed(), min(traces), 0, 0)
    add_lifecycle(timeline, records)
    analyse(timeline)
    buffer = io.BytesIO()
    with paused_gc():
        perfetto.write(timeline, buffer)
    out.write_bytes(buffer.getvalue())
    summary = json.dumps(timeline_to_dict(timeline), sort_keys=True, default=str)
    print(hashlib.sha1(buffer.getvalue()).hexdigest(), len(buffer.getvalue()),
          hashlib.sha1(summary.encode()).hexdigest())


if __name__ == "__main__":
    main()
