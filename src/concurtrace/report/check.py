"""`concurtrace check`: turn findings into a CI gate."""

from __future__ import annotations

from concurtrace.model.plain import FrozenPlain
from concurtrace.model.timeline import Timeline
from concurtrace.model.units import lifetime


class Gate(FrozenPlain):
    max_gil_wait: float | None  # largest allowed share of a thread's lifetime
    no_daemon_kill: bool
    no_abandoned_threads: bool
    no_nonzero_exit: bool
    no_deadlock: bool

    __slots__ = ("max_gil_wait", "no_daemon_kill", "no_abandoned_threads", "no_nonzero_exit",
                 "no_deadlock")

    def __init__(self, max_gil_wait: float | None = None, no_daemon_kill: bool = False,
                 no_abandoned_threads: bool = False, no_nonzero_exit: bool = False,
                 no_deadlock: bool = False) -> None:
        self.max_gil_wait = max_gil_wait
        self.no_daemon_kill = no_daemon_kill
        self.no_abandoned_threads = no_abandoned_threads
        self.no_nonzero_exit = no_nonzero_exit
        self.no_deadlock = no_deadlock


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
