"""Unit tests of the gallery checker (tests/gallery_expect.py) on hand-made summaries,
plus static checks of every scenario script (docstring, main guard, EXPECT)."""

from __future__ import annotations

import ast
import copy
import sys
from pathlib import Path
from typing import Any

import pytest
from gallery_expect import (
    ExpectError,
    check_summary,
    expected_returncode,
    load_expect,
    skip_reason,
    validate_expect,
)

from concurtrace.scenarios import SCENARIO_DIR, scenario_paths

S = 1_000_000_000  # ns per second
PY = (3, 11)


def proc(pid: int, ppid: int, name: str, **kw: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "pid": pid, "ppid": ppid, "os_ppid": ppid, "name": name, "cmdline": ["python3"],
        "daemon": False, "start_method": None, "started_ns": 10 * S, "ended_ns": 12 * S,
        "exit_code": 0, "signal": None, "terminated_by": None, "traced": True,
    }
    row.update(kw)
    return row


def thread(pid: int, tid: int, name: str, start_s: float, end_s: float | None,
           **kw: Any) -> dict[str, Any]:
    life = int(((end_s or start_s) - start_s) * S)
    row: dict[str, Any] = {
        "pid": pid, "tid": tid, "name": name, "daemon": False,
        "started_ns": int(start_s * S), "ended_ns": None if end_s is None else int(end_s * S),
        "abandoned": False,
        "states_ns": {"running": life, "runqueue": 0, "gil": 0, "lock": 0, "sleep": 0,
                      "io": 0, "child": 0, "other": 0},
    }
    row.update(kw)
    return row


def base_summary() -> dict[str, Any]:
    """What a correct summary of scenarios/processes.py looks like."""
    return {
        "schema": "concurtrace.summary/1", "python": "3.11.7", "gil": "enabled",
        "gil_method": "proc-syscall", "started_ns": 10 * S, "ended_ns": 12 * S,
        "processes": [
            proc(100, 50, "MainProcess"),
            proc(101, 100, "Process-1", daemon=True, start_method="fork", exit_code=-15,
                 signal="SIGTERM", terminated_by={"pid": 100, "reason": "daemon_cleanup"},
                 ended_ns=10 * S + 20_000_000),
            proc(102, 100, "Process-2", start_method="fork", ended_ns=11 * S + S // 10),
        ],
        "threads": [
            thread(100, 100, "MainThread", 10.0, 11.1),
            thread(101, 101, "MainThread", 10.001, 10.02),
            thread(102, 102, "MainThread", 10.001, 11.05,
                   states_ns={"running": 50_000_000, "sleep": 999_000_000}),
        ],
        "findings": [{"kind": "daemon_process_terminated", "pid": 101, "tid": None,
                      "message": "Process-1 terminated by SIGTERM"}],
    }


def failures(expect: dict[str, Any], summary: dict[str, Any], python: tuple[int, int] = PY
             ) -> list[str]:
    validate_expect(expect)
    return check_summary(expect, summary, python).failures


# --------------------------------------------------------------------------- real EXPECTs


def test_processes_expect_passes_on_a_correct_summary() -> None:
    expect = load_expect(SCENARIO_DIR / "processes.py")
    assert failures(expect, base_summary()) == []


def test_wrong_signal_names_the_fact_and_shows_the_row() -> None:
    expect = load_expect(SCENARIO_DIR / "processes.py")
    summary = base_summary()
    summary["processes"][1].update(exit_code=0, signal=None, terminated_by=None)
    fails = failures(expect, summary)
    assert len(fails) == 1
    msg = fails[0]
    assert "processes[1]" in msg and "name='Process-1'" in msg
    assert "signal: expected 'SIGTERM', got None" in msg
    assert "exit_code: expected -15, got 0" in msg
    assert "terminated_by: expected 'daemon_cleanup', got None" in msg
    assert '"pid": 101' in msg  # the summary row itself


def test_missing_process_lists_the_tree() -> None:
    expect = load_expect(SCENARIO_DIR / "processes.py")
    summary = base_summary()
    del summary["processes"][2]
    (msg,) = [f for f in failures(expect, summary) if f.startswith("processes[")]
    assert "name='Process-2'" in msg and "no process has that name" in msg
    assert '"name": "Process-1"' in msg


def test_missing_finding_and_schema() -> None:
    expect = load_expect(SCENARIO_DIR / "processes.py")
    summary = base_summary()
    summary["findings"] = []
    (msg,) = failures(expect, summary)
    assert "expected a 'daemon_process_terminated' finding" in msg
    summary["schema"] = "concurtrace.summary/2"
    (msg,) = failures(expect, summary)
    assert msg.startswith("schema:")


def test_python_version_mismatch_is_reported() -> None:
    expect = {"exit_code": 0}
    (msg,) = failures(expect, base_summary(), python=(3, 12))
    assert "3.11.7" in msg and "3.12" in msg


# --------------------------------------------------------------------------- processes


def test_parent_is_the_logical_parent_name() -> None:
    summary = base_summary()
    summary["processes"].append(proc(103, 100, "ForkServerProcess-3", os_ppid=99))
    expect = {"exit_code": 0, "processes": [
        {"name": "ForkServerProcess-3", "parent": "MainProcess"},
        {"name": "MainProcess", "parent": None},
    ]}
    assert failures(expect, summary) == []
    summary["processes"][-1]["ppid"] = 101
    (msg,) = failures(expect, summary)
    assert "parent: expected 'MainProcess', got 'Process-1'" in msg


def test_root_parent_none_means_ppid_outside_the_tree() -> None:
    summary = base_summary()
    summary["processes"][0]["ppid"] = 102  # a cycle: the root now has a parent in the tree
    (msg,) = failures({"exit_code": 0, "processes": [{"name": "MainProcess", "parent": None}]},
                      summary)
    assert "parent: expected None, got 'Process-2'" in msg


def test_parent_with_pid_reuse_picks_the_process_alive_at_start() -> None:
    summary = base_summary()
    summary["processes"] += [
        proc(200, 100, "sh", started_ns=10 * S, ended_ns=10 * S + 1),
        proc(200, 100, "python -c", started_ns=11 * S),  # pid 200 reused
        proc(201, 200, "sleep", started_ns=11 * S + 5),
    ]
    expect = {"exit_code": 0, "processes": [{"name": "sleep", "parent": "python -c"}]}
    assert failures(expect, summary) == []


def test_same_name_entries_distinguished_by_facts() -> None:
    summary = base_summary()
    summary["processes"] += [proc(110, 100, "python -c"), proc(111, 110, "python -c")]
    expect = {"exit_code": 0, "processes": [
        {"name": "python -c", "parent": "MainProcess"},
        {"name": "python -c", "parent": "python -c"},
    ]}
    assert failures(expect, summary) == []
    summary["processes"][-1]["ppid"] = 100
    first, second = failures(expect, summary)
    assert first.startswith("processes[0]") and "found 2 (of 2 with that name)" in first
    assert second.startswith("processes[1]") and "found 0 (of 2 with that name)" in second
    assert "parent: expected 'python -c', got 'MainProcess'" in second


def test_exact_name_defaults_to_exactly_one() -> None:
    summary = base_summary()
    summary["processes"].append(proc(105, 100, "Process-2"))
    (msg,) = failures({"exit_code": 0, "processes": [{"name": "Process-2"}]}, summary)
    assert "expected exactly 1" in msg and "found 2" in msg


def test_counts_prefix_and_regex() -> None:
    summary = base_summary()
    summary["processes"] += [proc(120 + k, 100, f"ForkPoolWorker-{k}", daemon=True)
                             for k in range(1, 6)]
    ok = {"exit_code": 0, "processes": [
        {"name_prefix": "ForkPoolWorker-", "min_count": 5, "daemon": True, "exit_code": 0},
        {"name_regex": r"(Fork|Spawn)PoolWorker-\d+", "count": 5},
        {"name_prefix": "ForkPoolWorker-"},
    ]}
    assert failures(ok, summary) == []
    bad = {"exit_code": 0, "processes": [
        {"name_prefix": "ForkPoolWorker-", "min_count": 6},
        {"name_regex": r"PoolWorker-\d+", "count": 5},  # full match: no "Fork" prefix
    ]}
    fails = failures(bad, summary)
    assert len(fails) == 2
    assert "at least 6" in fails[0] and "found 5" in fails[0]
    assert "exactly 5" in fails[1] and "found 0" in fails[1]


def test_count_with_a_failing_member() -> None:
    summary = base_summary()
    summary["processes"] += [proc(130, 100, "ForkProcess-1"),
                             proc(131, 100, "ForkProcess-2", exit_code=1)]
    (msg,) = failures({"exit_code": 0, "processes": [
        {"name_prefix": "ForkProcess-", "count": 2, "exit_code": 0}]}, summary)
    assert "exit_code: expected 0, got 1" in msg


def test_bool_and_int_are_not_confused() -> None:
    summary = base_summary()
    summary["processes"][2]["exit_code"] = False
    summary["processes"][2]["daemon"] = 0
    (msg,) = failures({"exit_code": 0, "processes": [
        {"name": "Process-2", "exit_code": 0, "daemon": False}]}, summary)
    assert "exit_code: expected 0, got False" in msg
    assert "daemon: expected False, got 0" in msg


def test_traced_and_start_method() -> None:
    summary = base_summary()
    summary["processes"].append(proc(140, 100, "sleep", traced=False))
    expect = {"exit_code": 0, "processes": [
        {"name": "sleep", "traced": False}, {"name": "Process-2", "start_method": "fork"}]}
    assert failures(expect, summary) == []
    summary["processes"][-1]["traced"] = True
    summary["processes"][2]["start_method"] = "spawn"
    fails = failures(expect, summary)
    assert any("traced: expected False, got True" in f for f in fails)
    assert any("start_method: expected 'fork', got 'spawn'" in f for f in fails)


def test_min_processes() -> None:
    (msg,) = failures({"exit_code": 0, "min_processes": 4}, base_summary())
    assert "min_processes: expected at least 4, found 3" in msg


def test_entry_python_range() -> None:
    summary = base_summary()
    expect = {"exit_code": 0, "processes": [
        {"name_prefix": "SpawnProcess-", "min_count": 3, "python_min": [3, 11]},
        {"name": "Process-2", "python_max": [3, 10]},
    ]}
    fails = failures(expect, summary, python=(3, 11))
    assert len(fails) == 1 and "SpawnProcess-" in fails[0]
    summary["python"] = "3.10.13"
    assert failures(expect, summary, python=(3, 10)) == []


# --------------------------------------------------------------------------- threads


def test_threads_by_process_name_and_lifetime() -> None:
    expect = load_expect(SCENARIO_DIR / "processes.py")  # Process-2 MainThread 0.8-3.0 s
    summary = base_summary()
    summary["threads"][2]["ended_ns"] = int(10.5 * S)
    (msg,) = failures(expect, summary)
    assert "threads[0] (process='Process-2', name='MainThread')" in msg
    assert "lifetime: 0.499 s < min_s 0.8" in msg
    assert '"process": "Process-2 (pid 102)"' in msg


def test_thread_without_end_fails_lifetime_check() -> None:
    summary = base_summary()
    summary["threads"].append(thread(100, 105, "heartbeat", 10.1, None, daemon=True,
                                     abandoned=True))
    expect: dict[str, Any] = {"exit_code": 0, "threads": [
        {"process": "MainProcess", "name": "heartbeat", "daemon": True, "abandoned": True}]}
    assert failures(expect, summary) == []
    expect["threads"][0]["min_s"] = 0.3
    (msg,) = failures(expect, summary)
    assert "ended_ns=None" in msg


def test_thread_flags_and_missing_thread() -> None:
    summary = base_summary()
    summary["threads"].append(thread(100, 106, "vocal", 10.0, 10.6, daemon=True))
    expect = {"exit_code": 0, "threads": [
        {"process": "MainProcess", "name": "vocal", "daemon": True, "abandoned": True},
        {"process": "MainProcess", "name": "choreography"},
        {"process": "Process-1", "name": "vocal"},  # right name, wrong process
    ]}
    fails = failures(expect, summary)
    assert len(fails) == 3
    assert "abandoned: expected True, got False" in fails[0]
    assert "no thread has that name" in fails[1] and '"name": "vocal"' in fails[1]
    assert "threads[2]" in fails[2]


def test_threads_across_same_named_processes() -> None:
    summary = base_summary()
    summary["processes"] += [proc(150, 100, "MainProcess (fork)"),
                             proc(151, 100, "MainProcess (fork)")]
    summary["threads"] += [thread(151, 152, "in-fork-child", 10.1, 10.2)]
    expect = {"exit_code": 0, "threads": [
        {"process": "MainProcess (fork)", "name": "in-fork-child"}]}
    assert failures(expect, summary) == []


def test_thread_name_prefix_count() -> None:
    summary = base_summary()
    summary["threads"] += [thread(100, 160 + k, f"cpu4-{k}", 10.0, 10.5) for k in range(3)]
    (msg,) = failures({"exit_code": 0, "threads": [
        {"process": "MainProcess", "name_prefix": "cpu4-", "count": 4}]}, summary)
    assert "expected exactly 4" in msg and "found 3" in msg


# --------------------------------------------------------------------------- shares


def gil_summary(gil_share: float, method: str = "proc-syscall") -> dict[str, Any]:
    summary = base_summary()
    summary["gil_method"] = method
    life = S // 2
    for k in range(2):
        summary["threads"].append(thread(
            100, 170 + k, f"cpu2-{k}", 10.0, 10.5,
            states_ns={"running": int(life * (1 - gil_share)), "gil": int(life * gil_share),
                       "lock": 0, "sleep": 0}))
    return summary


def test_gil_share_bounds_apply_to_every_selected_thread() -> None:
    expect = {"exit_code": 0, "gil": [
        {"process": "MainProcess", "thread_prefix": "cpu2-", "min_share": 0.3}]}
    assert failures(expect, gil_summary(0.5)) == []
    summary = gil_summary(0.5)
    summary["threads"][-1]["states_ns"]["gil"] = S // 20  # 0.1 share for cpu2-1
    (msg,) = failures(expect, summary)
    assert "'cpu2-1': gil share 0.100 < min_share 0.3" in msg
    assert '"gil": 0.1' in msg
    expect_max = {"exit_code": 0, "gil": {"thread": "cpu2-0", "max_share": 0.2}}
    (msg,) = failures(expect_max, gil_summary(0.5))
    assert "gil share 0.500 > max_share 0.2" in msg


def test_gil_entry_without_threads_fails() -> None:
    (msg,) = failures({"exit_code": 0, "gil": {"thread": "nope", "min_share": 0.1}},
                      gil_summary(0.5))
    assert "no such thread" in msg


def test_missing_state_key_fails() -> None:
    summary = gil_summary(0.5)
    del summary["threads"][-1]["states_ns"]["gil"]
    (msg,) = failures({"exit_code": 0, "gil": {"thread": "cpu2-1", "min_share": 0.1}}, summary)
    assert "no states_ns['gil']" in msg


def test_gil_disabled_and_weaker_methods_are_notes_not_failures() -> None:
    expect = {"exit_code": 0,
              "gil": {"thread_prefix": "cpu2-", "min_share": 0.9},
              "states": [{"thread_prefix": "cpu2-", "state": "lock", "min_share": 0.9},
                         {"thread_prefix": "cpu2-", "state": "running", "min_share": 0.9}]}
    validate_expect(expect)
    summary = gil_summary(0.5)
    summary["gil"] = "disabled"
    res = check_summary(expect, summary, PY)
    # gil skipped; lock and running still checked (proc-syscall)
    assert len(res.notes) == 1 and "GIL is disabled" in res.notes[0]
    assert len(res.failures) == 4  # 2 threads x (lock, running)
    res = check_summary(expect, gil_summary(0.5, method="schedstat-only"), PY)
    assert len(res.notes) == 2  # gil and lock skipped
    assert len(res.failures) == 2 and all("running share" in f for f in res.failures)


def test_states_share() -> None:
    expect: dict[str, Any] = {"exit_code": 0, "states": [
        {"process": "Process-2", "thread": "MainThread", "state": "sleep", "min_share": 0.9}]}
    assert failures(expect, base_summary()) == []
    expect["states"][0]["min_share"] = 0.99
    (msg,) = failures(expect, base_summary())
    assert "sleep share 0.952 < min_share 0.99" in msg


def test_no_findings() -> None:
    (msg,) = failures({"exit_code": 0, "no_findings": ["daemon_process_terminated"]},
                      base_summary())
    assert "unexpected 'daemon_process_terminated'" in msg and '"pid": 101' in msg


# --------------------------------------------------------------------------- EXPECT format


@pytest.mark.parametrize("bad", [
    {},
    {"exit_code": 0, "proceses": []},
    {"exit_code": 0, "processes": [{"parent": None}]},
    {"exit_code": 0, "processes": [{"name": "a", "name_prefix": "b"}]},
    {"exit_code": 0, "processes": [{"name": "a", "count": 1, "min_count": 1}]},
    {"exit_code": 0, "processes": [{"name": "a", "terminated_by": "sigterm"}]},
    {"exit_code": 0, "processes": [{"name": "a", "signal": 15}]},
    {"exit_code": 0, "processes": [{"name_regex": "("}]},
    {"exit_code": 0, "threads": [{"name": "a", "min_s": 2, "max_s": 1}]},
    {"exit_code": 0, "gil": {"thread": "a"}},
    {"exit_code": 0, "states": [{"thread": "a", "state": "waiting", "min_share": 0.1}]},
    {"exit_code": 0, "python_min": [3, 11]},
    {"exit_code": 0, "findings": "daemon_thread_abandoned"},
])
def test_validate_rejects(bad: dict[str, Any]) -> None:
    with pytest.raises(ExpectError):
        validate_expect(bad)


def test_load_expect_requires_a_literal(tmp_path: Path) -> None:
    script = tmp_path / "s.py"
    script.write_text("X = 1\nEXPECT = {'exit_code': X}\n")
    with pytest.raises(ExpectError, match="not a pure literal"):
        load_expect(script)
    script.write_text("EXPECT: dict[str, object] = {'exit_code': 2}\n")
    assert load_expect(script) == {"exit_code": 2}
    script.write_text("print('no expect')\n")
    with pytest.raises(ExpectError, match="no module-level EXPECT"):
        load_expect(script)


def test_expected_returncode_and_skip() -> None:
    assert expected_returncode(0) == 0
    assert expected_returncode(3) == 3
    assert expected_returncode(-15) == 143
    assert expected_returncode(-9) == 137
    expect = {"exit_code": 0, "python_min": [3, 11], "skip_reason": "needs X"}
    assert skip_reason(expect, (3, 11)) is None
    assert skip_reason(expect, (3, 13)) is None
    assert skip_reason(expect, (3, 10)) == "Python 3.10: needs X"


def test_input_summary_is_not_mutated() -> None:
    summary = base_summary()
    before = copy.deepcopy(summary)
    check_summary(load_expect(SCENARIO_DIR / "processes.py"), summary, PY)
    assert summary == before


# --------------------------------------------------------------------------- the scripts

SCENARIOS = scenario_paths()


def test_gallery_is_complete() -> None:
    names = {p.stem for p in SCENARIOS}
    required = {
        "threads", "processes", "daemon_process_kill", "daemon_thread_abandon", "crash_child",
        "thread_exception", "gil_cpu_threads", "gil_convoy", "gil_release_c",
        "lock_contention", "threads_vs_processes", "mp_start_methods", "mp_pool",
        "process_pool_executor", "mp_manager", "subprocess_python", "os_fork", "posix_spawn",
        "non_python_children", "thread_kinds", "producer_consumer", "asyncio_mixed",
        "fork_while_threads_run",
    }
    assert required <= names, f"missing: {sorted(required - names)}"
    assert "__init__" not in names


@pytest.mark.parametrize("script", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_scenario_script_shape(script: Path) -> None:
    tree = ast.parse(script.read_text(encoding="utf-8"))
    doc = ast.get_docstring(tree)
    assert doc, f"{script.name}: no module docstring"
    first = doc.splitlines()[0]
    assert first.strip() and len(first) <= 100, f"{script.name}: first docstring line {first!r}"
    assert "What to look for" in doc, f"{script.name}: docstring lacks 'What to look for'"
    guards = [
        n for n in tree.body
        if isinstance(n, ast.If) and ast.unparse(n.test) in (
            "__name__ == '__main__'", "'__main__' == __name__")
    ]
    assert guards, f"{script.name}: no `if __name__ == \"__main__\":` guard"
    expect = load_expect(script)
    assert expect["exit_code"] == 0 or isinstance(expect["exit_code"], int)
    names = [e.get("name") for e in expect.get("processes", [])]
    assert "MainProcess" in names, f"{script.name}: EXPECT should list MainProcess"


def test_scenario_catalog_matches() -> None:
    sys.path.insert(0, str(SCENARIO_DIR.parents[1]))
    try:
        from concurtrace import scenarios as catalog
    finally:
        sys.path.pop(0)
    listed = {sc.name: sc.description for sc in catalog.scenarios()}
    assert set(listed) == {p.stem for p in SCENARIOS}
    assert all(listed.values())
    found = catalog.find("threads.py")
    assert found is not None and found.name == "threads"
