"""Export one kept session and print what identifies the result, to compare two src trees.

    .venv/bin/python bench/same_output.py SESSION_DIR OUT.pftrace
    PYTHONPATH=/tmp/old/src .venv/bin/python bench/same_output.py SESSION_DIR OLD.pftrace
    .venv/bin/python bench/same_output.py SESSION_DIR POOL.pftrace --pool

--pool merges the dumps with the worker processes of `concurtrace run`
(runner/merge_pool.py; _CONCURTRACE_POOL_MIN_BYTES=1 forces it on for small dumps) and
fails if the pool was not used.

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
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from concurtrace.exporters import perfetto
from concurtrace.gc_pause import paused_gc
from concurtrace.model.analysis import analyse
from concurtrace.model.build import build_timeline
from concurtrace.model.lifecycle import add_lifecycle
from concurtrace.model.records import read_session
from concurtrace.model.serialize import timeline_to_dict
from concurtrace.model.sources import Observed
from concurtrace.runner.collect import find_traces

if TYPE_CHECKING:  # not in an older tree (PYTHONPATH=/tmp/old/src)
    from concurtrace.model.build import CallsToMerge
    from concurtrace.model.traces import MergedCalls


def main() -> None:
    session, out = Path(sys.argv[1]), Path(sys.argv[2])
    records = read_session(session)
    warnings: list[str] = []
    traces = find_traces(session, warnings)
    merger = None
    if "--pool" in sys.argv[3:]:
        from concurtrace.runner import merge_pool

        merger = merge_pool.pool_merger(traces)
        assert merger is not None, "the pool would not be used for this session"
        used: list[bool] = []

        def pooled(jobs: dict[int, CallsToMerge]) -> Mapping[int, MergedCalls] | None:
            assert merger is not None
            found = merger(jobs)
            used.append(found is not None)
            return found
    with paused_gc():
        timeline = build_timeline(records, traces, Observed(), min(traces), 0, 0,
                                  pooled if merger is not None else None)
    if merger is not None:
        assert used == [True], f"the pool fell back to the serial merge: {used}"
    add_lifecycle(timeline, records)
    analyse(timeline)
    buffer = io.BytesIO()
    with paused_gc():
        perfetto.write(timeline, buffer)
    out.write_bytes(buffer.getvalue())
    summary = json.dumps(timeline_to_dict(timeline), sort_keys=True, default=str)
    print(hashlib.sha1(buffer.getvalue()).hexdigest(), len(buffer.getvalue()),
          hashlib.sha1(summary.encode()).hexdigest(),
          hashlib.sha1("\n".join(warnings).encode()).hexdigest()[:12])


if __name__ == "__main__":
    main()
