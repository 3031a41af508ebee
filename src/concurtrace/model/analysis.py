"""Findings in plain words, most important first, each with what to do about it."""

from __future__ import annotations

import bisect
from collections import Counter

from concurtrace.model.findings import PROCESS_RULES, THREAD_RULES, apply
from concurtrace.model.sync_analysis import analyse_sync
from concurtrace.model.tasks_analysis import analyse_asyncio
from concurtrace.model.timeline import Finding, GilHotspot, Timeline

__all__ = ["analyse", "gil_hotspots"]


def analyse(timeline: Timeline) -> None:
    findings: list[Finding] = []
    for proc in timeline.ordered_processes():
        findings.extend(apply(PROCESS_RULES, timeline, proc, None))
        for thread in proc.threads.values():
            findings.extend(apply(THREAD_RULES, timeline, proc, thread))
    findings.extend(analyse_sync(timeline))
    findings.extend(analyse_asyncio(timeline))
    findings.sort(key=lambda f: -f.severity)
    timeline.findings = findings
    timeline.gil_hotspots = gil_hotspots(timeline)


def gil_hotspots(timeline: Timeline, top: int = 10) -> list[GilHotspot]:
    """GIL wait attributed to the innermost traced function that was waiting."""
    totals: Counter[tuple[str, str]] = Counter()
    name: str | None
    for proc in timeline.processes.values():
        for thread in proc.threads.values():
            slices = thread.slices
            starts, durs = slices.ts, slices.dur  # the columns: no object per call
            for run in thread.states:
                if run.state != "gil":
                    continue
                mid = run.ts + run.dur // 2
                index = bisect.bisect_right(starts, mid) - 1
                name = None
                for probe in range(index, max(index - 2000, -1), -1):
                    if starts[probe] + durs[probe] >= mid:
                        name = slices.name(probe)
                        break
                if name is not None:
                    totals[(proc.name, name)] += run.dur
    return [GilHotspot(p, f, ns) for (p, f), ns in totals.most_common(top)]
