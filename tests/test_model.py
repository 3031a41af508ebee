"""The pure stages alone: naming, nesting, merging records, round trips."""

from __future__ import annotations

from concurtrace.exporters.common import nested
from concurtrace.model.build import build_timeline, clip_runs
from concurtrace.model.lifecycle import add_lifecycle
from concurtrace.model.naming import process_name
from concurtrace.model.serialize import timeline_from_dict, timeline_to_dict
from concurtrace.model.sources import Observed
from concurtrace.model.timeline import Slice, StateRun

PY = "/usr/bin/python3"


def test_process_names() -> None:
    assert process_name(True, None, [PY, "x.py"], None) == "MainProcess"
    assert process_name(False, "Process-3", [PY, "x.py"], None) == "Process-3"
    assert process_name(False, None, [PY, "-u", "tool/run.py", "a"], None) == "run.py"
    assert process_name(False, None, [PY, "-m", "json.tool"], None) == "python -m json.tool"
    assert process_name(False, None, [PY, "-c", "print()"], None) == "python -c"
    forkserver = [PY, "-c", "from multiprocessing.forkserver import main; main(3)"]
    assert process_name(False, None, forkserver, None) == "forkserver"
    assert process_name(False, None, ["/bin/sleep", "1"], "sleep") == "sleep"


def test_nested_clamps_children_to_parents() -> None:
    parent, child = Slice(0, 100, "p"), Slice(10, 95, "c")  # child overruns by rounding
    events = list(nested([parent, child]))
    assert [(k, ts, s.name) for k, ts, s in events] == [
        ("begin", 0, "p"), ("begin", 10, "c"), ("end", 100, "c"), ("end", 100, "p")]


def test_clip_runs_to_lifetime() -> None:
    runs = [StateRun(0, 50, "gil"), StateRun(50, 50, "running"), StateRun(100, 40, "sleep")]
    clipped = clip_runs(runs, 20, 120)
    assert [(r.ts, r.dur, r.state) for r in clipped] == [
        (20, 30, "gil"), (50, 50, "running"), (100, 20, "sleep")]
    assert sum(r.dur for r in clipped) == 100


def _records() -> list[dict[str, object]]:
    argv = [PY, "main.py"]
    return [
        {"ev": "hello", "ts": 100, "pid": 10, "ppid": 1, "origin": "exec", "argv": argv,
         "python": "3.11.7", "gil": "enabled", "traced": True},
        {"ev": "process_start", "ts": 210, "start_ts": 200, "pid": 10, "tid": 10, "child": 11,
         "name": "Process-1", "daemon": True, "method": "spawn"},
        {"ev": "terminate", "ts": 510, "start_ts": 500, "pid": 10, "tid": 10, "child": 11,
         "how": "terminate", "reason": "daemon_cleanup"},
        {"ev": "reaped", "ts": 600, "start_ts": 520, "pid": 10, "tid": 10, "child": 11,
         "status": 15},
        {"ev": "join", "ts": 610, "start_ts": 515, "pid": 10, "tid": 10, "child": 11,
         "exitcode": -15},
    ]


def test_daemon_killed_before_its_tracer_started() -> None:
    records = _records()
    timeline = build_timeline(records, {}, Observed(reaped={10: (700, 0)}), 10, 0, 800)
    add_lifecycle(timeline, records)
    child = timeline.processes[11]
    assert (child.name, child.ppid, child.daemon, child.start_method) == (
        "Process-1", 10, True, "spawn")
    assert (child.exit_code, child.signal, child.traced) == (-15, "SIGTERM", False)
    assert child.terminated_by is not None and child.terminated_by.reason == "daemon_cleanup"
    assert child.ended_ns is not None and 510 <= child.ended_ns <= 600
    events = {m.args.get("event"): m for m in child.instants}
    assert events["process_terminated"].flows_in, "terminate() -> termination arrow"
    assert timeline.processes[10].exit_code == 0


def test_summary_round_trip() -> None:
    records = _records()
    timeline = build_timeline(records, {}, Observed(reaped={10: (700, 0)}), 10, 0, 800)
    data = timeline_to_dict(timeline)
    again = timeline_to_dict(timeline_from_dict(data))
    assert again["processes"] == data["processes"]
    assert [t["states_ns"] for t in again["threads"]] == [t["states_ns"] for t in data["threads"]]
