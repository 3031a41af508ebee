"""The pure stages alone: naming, nesting, merging records, round trips."""

from __future__ import annotations

from rich.console import Console

from concurtrace.exporters.common import nested
from concurtrace.model.analysis import analyse
from concurtrace.model.build import build_timeline, clip_runs
from concurtrace.model.lifecycle import add_lifecycle
from concurtrace.model.naming import infrastructure_role, process_name
from concurtrace.model.sampled import SeenProcess
from concurtrace.model.serialize import timeline_from_dict, timeline_to_dict
from concurtrace.model.sources import Observed
from concurtrace.model.timeline import Process, Slice, StateRun, Thread, Timeline
from concurtrace.report.terminal import render

PY = "/usr/bin/python3"


def test_process_names() -> None:
    assert process_name(True, None, [PY, "x.py"], None) == "MainProcess"
    assert process_name(False, "Process-3", [PY, "x.py"], None) == "Process-3"
    assert process_name(False, None, [PY, "-u", "tool/run.py", "a"], None) == "run.py"
    assert process_name(False, None, [PY, "-m", "json.tool"], None) == "python -m json.tool"
    assert process_name(False, None, [PY, "-c", "print()"], None) == "python -c"
    forkserver = [PY, "-c", "from multiprocessing.forkserver import main; main(3)"]
    assert process_name(False, None, forkserver, None) == "forkserver (multiprocessing)"
    assert process_name(False, None, ["/bin/sleep", "1"], "sleep") == "sleep"


def test_library_helpers_are_infrastructure() -> None:
    # The command line joblib 1.6 gives loky's resource tracker.
    loky = [PY, "-B", "-c", "from joblib.externals.loky.backend.resource_tracker import main; "
            "main(4, False)"]
    assert process_name(False, None, loky, None) == "resource tracker (loky)"
    assert infrastructure_role("resource tracker (loky)", None, None) == "infrastructure"
    target = "multiprocessing.managers.BaseManager._run_server"
    assert infrastructure_role("SyncManager-1", "SyncManager-1", target) == "infrastructure"
    assert infrastructure_role("MyManager-2", "MyManager-2", None) == "infrastructure"
    # A user's process that happens to be called like one runs the user's target.
    assert infrastructure_role("TaskManager-1", "TaskManager-1", "__main__.work") is None
    assert infrastructure_role("Process-1", "Process-1", None) is None


def test_nested_clamps_children_to_parents() -> None:
    parent, child = Slice(0, 100, "p"), Slice(10, 95, "c")  # child overruns by rounding
    events = list(nested([parent, child]))
    assert [(k, ts, s.name) for k, ts, s in events] == [
        ("begin", 0, "p"), ("begin", 10, "c"), ("end", 100, "c"), ("end", 100, "p")]


def test_clip_runs_to_lifetime() -> None:
    runs = [StateRun(0, 50, "gil", 40), StateRun(50, 50, "running"), StateRun(100, 40, "sleep")]
    clipped = clip_runs(runs, 20, 120)
    assert [(r.ts, r.dur, r.state, r.queued_ns) for r in clipped] == [
        (20, 30, "gil", 30), (50, 50, "running", 0), (100, 20, "sleep", 0)]
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


def test_any_record_of_a_process_says_it_was_alive() -> None:
    # The model types only lifecycle records, but a sync (or asyncio) record is a witness
    # too: its writer is a process of the tree, alive at its ts (model/sources.py last_ts).
    records = _records()[:2] + [
        {"ev": "wait_begin", "ts": 450, "pid": 11, "tid": 11, "obj": 1, "kind": "Lock",
         "label": "Lock@x.py:1"}]
    timeline = build_timeline(records, {}, Observed(reaped={10: (700, 0)}), 10, 0, 800)
    assert 11 in timeline.processes
    assert timeline.processes[11].ended_ns == 450


def test_summary_round_trip() -> None:
    records = _records()
    timeline = build_timeline(records, {}, Observed(reaped={10: (700, 0)}), 10, 0, 800)
    data = timeline_to_dict(timeline)
    again = timeline_to_dict(timeline_from_dict(data))
    assert again["processes"] == data["processes"]
    assert [t["states_ns"] for t in again["threads"]] == [t["states_ns"] for t in data["threads"]]
    # The part of GIL wait spent queued for a CPU survives the trip too.
    thread = next(iter(timeline.processes[10].threads.values()))
    thread.states = [StateRun(0, 300, "gil", 120), StateRun(300, 100, "running")]
    data = timeline_to_dict(timeline)
    row = next(t for t in data["threads"] if t["tid"] == thread.tid)
    assert row["gil_queued_ns"] == 120 and row["states_ns"]["gil"] == 300
    again = timeline_to_dict(timeline_from_dict(data))
    assert next(t for t in again["threads"] if t["tid"] == thread.tid)["gil_queued_ns"] == 120


def _gil_bound_worker(queued_ns: int) -> Timeline:
    """One process whose thread "worker" waited 0.6 s of 1 s for the GIL, queued_ns of it
    queued for a CPU, and ran the rest."""
    timeline = Timeline(python="3.11.7", gil="enabled", gil_method="proc-syscall",
                        started_ns=0, ended_ns=10**9, root_pid=1)
    proc = Process(pid=1, name="MainProcess", started_ns=0, ended_ns=10**9, exit_code=0)
    thread = Thread(pid=1, tid=2, name="worker", started_ns=0, ended_ns=10**9)
    thread.states = [StateRun(0, 6 * 10**8, "gil", queued_ns),
                     StateRun(6 * 10**8, 4 * 10**8, "running")]
    proc.threads[2] = thread
    timeline.processes[1] = proc
    return timeline


def test_gil_finding_says_when_the_cores_were_busy_too() -> None:
    def finding(queued_ns: int) -> str:
        timeline = _gil_bound_worker(queued_ns)
        analyse(timeline)
        (gil,) = [f for f in timeline.findings if f.kind == "gil_contention"]
        return gil.message

    plain = "Thread 'worker' in MainProcess spent 60% of its 1.00 s waiting for the GIL."
    assert finding(0) == plain
    busy = finding(2 * 10**8)
    assert "60%" in busy and "(20% of it queued for a CPU" in busy and "cores were busy" in busy
    assert "queued" not in finding(10**8)  # a sixth of the wait: not worth a mention


def test_thread_table_shows_the_queued_part_of_gil_wait() -> None:
    console = Console(record=True, width=200)
    render(_gil_bound_worker(2 * 10**8), console)
    assert "run 40%, GIL 60% (queued 20%)" in console.export_text()


def test_sampler_stats_are_the_summary_sampler_object() -> None:
    from concurtrace.model.sampled import SamplerStats

    stats = SamplerStats(cpu_s=0.5, samples=10, ticks=4, hz_requested=500.0, wall_s=2.0,
                         max_threads=3, kernel_stacks=True, hz_effective=2.0)
    assert stats.as_summary() == {"cpu_s": 0.5, "samples": 10.0, "ticks": 4.0,
                                  "hz_requested": 500.0, "wall_s": 2.0, "max_threads": 3.0,
                                  "kernel_stacks": 1.0, "hz_effective": 2.0}
    stats.us_per_sample, stats.hz_lowest = 12.5, 250.0
    assert list(stats.as_summary())[-2:] == ["us_per_sample", "hz_lowest"]


def test_a_caught_first_ctrl_c_is_not_what_ended_the_process() -> None:
    """The first Ctrl-C, passed on from outside, was caught (KeyboardInterrupt); the second,
    concurtrace's stopping one, ended it by SIGINT. Both SIGINTs reached the root's wakeup
    pipe: the one it survived is not the fatal one (it was credited "external", one run in
    a few of tests/faults/test_stop.py)."""
    records = _records()[:1]
    sends = [(300, 301, 10, 2, "external"), (500, 501, 10, 2, "interrupt"),
             (502, 503, 10, 15, "interrupt")]
    observed = Observed(reaped={10: (700, 2)}, sends=sends,
                        deliveries=[(10, 2, 305), (10, 2, 505)])
    timeline = build_timeline(records, {}, observed, 10, 0, 800)
    root = timeline.processes[10]
    assert (root.exit_code, root.signal) == (-2, "SIGINT")
    assert root.terminated_by is not None and root.terminated_by.reason == "interrupt"
    # Without a second delivery seen, the first send of that signal is still credited.
    one = Observed(reaped={10: (700, 2)}, sends=sends[:1], deliveries=[(10, 2, 305)])
    alone = build_timeline(records, {}, one, 10, 0, 800).processes[10]
    assert alone.terminated_by is not None and alone.terminated_by.reason == "external"


def test_a_child_seen_between_its_fork_and_its_exec_is_named_by_what_it_ran() -> None:
    # subprocess forks, then execs `true`, which ends at once: the sampler may have read the
    # child's /proc cmdline only in between, where it is still its parent's (a program that
    # starts faster than before made it 1 run in 2, issue 18). The hook's record says
    # what ran.
    parent_argv = [PY, "-c", "import subprocess; subprocess.run(['true'])"]
    records: list[dict[str, object]] = [
        {"ev": "hello", "ts": 100, "pid": 10, "ppid": 1, "origin": "exec", "argv": parent_argv,
         "python": "3.11.7", "gil": "enabled", "traced": True},
        {"ev": "process_start", "ts": 210, "start_ts": 200, "pid": 10, "tid": 10, "child": 11,
         "method": "subprocess", "cmdline": ["true"], "shell": False},
        {"ev": "reaped", "ts": 600, "start_ts": 520, "pid": 10, "tid": 10, "child": 11,
         "status": 0},
    ]
    pre_exec = SeenProcess(11, 10, "python", list(parent_argv), PY, 205, 206, True)
    timeline = build_timeline(records, {}, Observed(processes={11: pre_exec},
                                                    reaped={10: (700, 0)}), 10, 0, 800)
    assert (timeline.processes[11].cmdline, timeline.processes[11].name) == (["true"], "true")
    # ... but what the sampler saw after an exec (a shell's child, a re-exec) is kept
    shell = SeenProcess(11, 10, "sh", ["/bin/sh", "-c", "true"], "/bin/sh", 205, 206, False)
    timeline = build_timeline(records, {}, Observed(processes={11: shell},
                                                    reaped={10: (700, 0)}), 10, 0, 800)
    assert timeline.processes[11].cmdline == ["/bin/sh", "-c", "true"]
