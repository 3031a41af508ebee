"""Each finding rule alone, on a Timeline built for it; and the precedence between rules."""

from __future__ import annotations

from concurtrace.model.analysis import analyse
from concurtrace.model.findings import (
    PROCESS_RULES,
    THREAD_RULES,
    child_not_joined,
    daemon_process_terminated,
    daemon_thread_abandoned,
    gil_contention,
    killed_before_trace,
    native_exit,
    nonzero_exit,
    orphan_still_running,
    thread_exception,
    thread_stopped,
)
from concurtrace.model.timeline import (
    Process,
    Send,
    StateRun,
    TerminatedBy,
    Thread,
    Timeline,
)
from concurtrace.model.vocabulary import FindingKind

S = 10**9


def _tree(**child: object) -> tuple[Timeline, Process]:
    """MainProcess (pid 1, 0-2 s) and one child (pid 2, 0.5-1 s) with the given fields."""
    root = Process(pid=1, name="MainProcess", started_ns=0, ended_ns=2 * S, exit_code=0,
                   traced=True)
    proc = Process(pid=2, name="Process-1", ppid=1, started_ns=S // 2, ended_ns=S, exit_code=0,
                   traced=True, start_method="spawn", joined=True)
    for key, value in child.items():
        setattr(proc, key, value)
    return Timeline(root_pid=1, processes={1: root, 2: proc}), proc


def _kinds(timeline: Timeline) -> list[FindingKind]:
    analyse(timeline)
    return [f.kind for f in timeline.findings]


def test_every_kind_of_the_rules_lists_has_a_rule_named_after_it() -> None:
    for rule in (*PROCESS_RULES, *THREAD_RULES):
        assert rule.check.__name__ == rule.kind


def test_killed_before_trace() -> None:
    timeline, proc = _tree(traced=False, signal="SIGTERM", exit_code=-15)
    finding = killed_before_trace(timeline, proc, None)
    assert finding is not None and finding.severity == 5
    assert "before its tracer started" in finding.message
    assert killed_before_trace(*_tree(signal="SIGTERM"), None) is None  # traced: it ran
    # terminate()d on purpose by its parent: nonzero_exit says so (and by whom), no join advice
    stopped = {"traced": False, "signal": "SIGTERM", "exit_code": -15,
               "terminated_by": TerminatedBy(1, "terminate")}
    assert killed_before_trace(*_tree(**stopped), None) is None
    told = nonzero_exit(*_tree(**stopped), None)
    assert told is not None and told.message.endswith(
        "via terminate() after 500 ms, before its tracer started: none of its work ran."), told
    cut = {**stopped, "daemon": True, "terminated_by": TerminatedBy(1, "daemon_cleanup")}
    assert killed_before_trace(*_tree(**cut), None) is not None


def test_daemon_process_terminated_takes_precedence_over_nonzero_exit() -> None:
    timeline, proc = _tree(daemon=True, signal="SIGTERM", exit_code=-15,
                           terminated_by=TerminatedBy(1, "daemon_cleanup"))
    finding = daemon_process_terminated(timeline, proc, None)
    assert finding is not None and "at MainProcess's exit: its work was cut short" in \
        finding.message
    assert nonzero_exit(timeline, proc, None) is not None  # alone it would apply...
    assert _kinds(timeline) == ["daemon_process_terminated"]  # ...but is not said twice


def test_native_exit_says_the_calls_are_lost_and_who_signalled() -> None:
    """An exit in C code: after terminate() (PyTorch's DataLoader worker's C handler) it is a
    stop (2); with no signal and a nonzero code, an extension's exit() (4); at its parent's
    exit, multiprocessing's cleanup: daemon_process_terminated, and no child_not_joined."""
    sigterm = Send(S - 10**6, S - 10**6, 1, 15, "terminate")
    timeline, proc = _tree(end_reason="native_exit", handled=sigterm, function_trace=True)
    finding = native_exit(timeline, proc, None)
    assert finding is not None and finding.severity == 2, finding
    assert finding.message.startswith("Process-1 exited with code 0 in C code after SIGTERM "
                                      "from MainProcess (terminate())"), finding
    assert "its calls are missing" in finding.message, finding
    assert _kinds(timeline) == ["native_exit"]
    timeline, proc = _tree(end_reason="native_exit", exit_code=3, function_trace=False)
    finding = native_exit(timeline, proc, None)
    assert finding is not None and finding.severity == 4, finding
    assert "calls are missing" not in finding.message, finding  # --light: none to lose
    assert _kinds(timeline) == ["native_exit"]  # not nonzero_exit as well
    cleanup = Send(S - 10**6, S - 10**6, 1, 15, "daemon_cleanup")
    timeline, proc = _tree(end_reason="native_exit", handled=cleanup, daemon=True, joined=False)
    assert _kinds(timeline) == ["daemon_process_terminated"]
    assert native_exit(*_tree(), None) is None


def test_nonzero_exit_severity_follows_the_cause() -> None:
    cases = [({"signal": "SIGSEGV"}, 4, "crashed with SIGSEGV"),
             ({"signal": "SIGTERM", "terminated_by": TerminatedBy(1, "terminate")}, 2,
              "via terminate()"),
             ({"signal": "SIGKILL", "terminated_by": TerminatedBy(None, "timeout")}, 3,
              "--timeout"),
             ({"signal": "SIGINT"}, 2, "interrupted by SIGINT"),
             ({"exit_code": 3, "end_reason": "os._exit"}, 4, "called os._exit(3)"),
             ({"exit_code": 1, "exc_type": "ValueError"}, 4, "uncaught ValueError")]
    for fields, severity, words in cases:
        finding = nonzero_exit(*_tree(**fields), None)
        assert finding is not None and finding.severity == severity, fields
        assert words in finding.message, (fields, finding.message)
    assert nonzero_exit(*_tree(), None) is None


def test_orphan_still_running_takes_precedence_over_child_not_joined() -> None:
    timeline, proc = _tree(ended_ns=3 * S, joined=False)
    finding = orphan_still_running(timeline, proc, None)
    assert finding is not None and "ended 1.00 s later" in finding.message
    assert child_not_joined(timeline, proc, None) is not None
    assert _kinds(timeline) == ["orphan_still_running"]


def test_child_not_joined() -> None:
    timeline, proc = _tree(joined=False)
    finding = child_not_joined(timeline, proc, None)
    assert finding is not None and finding.severity == 2
    assert finding.message == ("Process-1 was never joined or waited for by MainProcess: "
                               "multiprocessing joined it at exit.")
    infrastructure = _tree(joined=False, role="infrastructure")
    assert child_not_joined(*infrastructure, None) is None


def _thread(**fields: object) -> tuple[Timeline, Process, Thread]:
    timeline, proc = _tree()
    thread = Thread(pid=2, tid=7, name="worker", started_ns=0, ended_ns=S)
    for key, value in fields.items():
        setattr(thread, key, value)
    proc.threads[7] = thread
    return timeline, proc, thread


def test_thread_stopped() -> None:
    finding = thread_stopped(*_thread(end_reason="stopped"))
    assert finding is not None and finding.tid == 7 and "never finished" in finding.advice
    assert thread_stopped(*_thread(end_reason="return")) is None


def test_daemon_thread_abandoned() -> None:
    finding = daemon_thread_abandoned(*_thread(abandoned=True, daemon=True))
    assert finding is not None
    assert finding.message.startswith("Daemon thread 'worker' in Process-1 was abandoned")


def test_thread_exception() -> None:
    finding = thread_exception(*_thread(exc_type="KeyError"))
    assert finding is not None and finding.severity == 4 and "uncaught KeyError" in \
        finding.message


def test_gil_contention_needs_a_fifth_of_a_long_enough_life() -> None:
    runs = [StateRun(0, S // 5, "gil"), StateRun(S // 5, 4 * S // 5, "running")]
    finding = gil_contention(*_thread(states=runs))
    assert finding is not None and "spent 20% of its 1.00 s waiting for the GIL" in \
        finding.message
    less = [StateRun(0, S // 6, "gil"), StateRun(S // 6, 5 * S // 6, "running")]
    assert gil_contention(*_thread(states=less)) is None
    short = [StateRun(0, S // 100, "gil")]
    assert gil_contention(*_thread(states=short, ended_ns=S // 50)) is None


def test_findings_are_listed_by_severity_then_in_rule_order() -> None:
    timeline, proc, thread = _thread(exc_type="KeyError", end_reason="stopped")
    proc.exit_code = 1
    assert _kinds(timeline) == ["nonzero_exit", "thread_exception", "thread_stopped"]


def test_the_state_table_gives_every_state_its_names_and_kind() -> None:
    from concurtrace.model.samples import BLOCKED_STATES
    from concurtrace.model.vocabulary import ACTIVE_STATES, STATE_KEYS, THREAD_STATES, state_key

    assert STATE_KEYS[:3] == ("running", "runqueue", "gil")
    assert ACTIVE_STATES == {"running", "runqueue"}
    assert all(s.slice_name and s.short for s in THREAD_STATES)
    assert set(STATE_KEYS) - ACTIVE_STATES <= BLOCKED_STATES
    try:
        state_key("napping")
    except KeyError:
        pass
    else:
        raise AssertionError("an unknown state must not pass as one")
