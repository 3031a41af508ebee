"""`concurtrace check`: turn findings into a CI gate."""

from __future__ import annotations

from dataclasses import dataclass

from concurtrace.model.timeline import Timeline
from concurtrace.model.units import lifetime


@dataclass(frozen=True)
class Gate:
    max_gil_wait: float | None = None  # largest allowed share of a thread's lifetime
    no_daemon_kill: bool = False
    no_abandoned_threads: bool = False
    no_nonzero_exit: bool = False
    no_deadlock: bool = False


def violations(timeline: Timeline, gate: Gate) -> list[str]:
    out: list[str] = []
    kinds = {"daemon_process_terminated": gate.no_daemon_kill,
             "killed_before_trace": gate.no_daemon_kill,
             "daemon_thread_abandoned": gate.no_abandoned_threads,
             "nonzero_exit": gate.no_nonzero_exit,
             "thread_exception": gate.no_nonzero_exit,
             "deadlock": gate.no_deadlock}
    for finding in timeline.findings:
        if kinds.get(finding.kind):
            out.append(f"{finding.kind}: {finding.message}")
    if gate.max_gil_wait is not None:
        for proc in timeline.ordered_processes():
            for thread in proc.threads.values():
                life = lifetime(thread.started_ns, thread.ended_ns)
                gil = thread.states_ns().get("gil", 0)
                if life and gil / life > gate.max_gil_wait:
                    out.append(f"gil_wait: thread '{thread.name}' in {proc.name} waited "
                               f"{gil / life:.0%} of its lifetime for the GIL "
                               f"(limit {gate.max_gil_wait:.0%})")
    return out
