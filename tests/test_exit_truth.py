"""Truth on real programs (issue 14, items 6-11): who ended a process, and what is advice.

Each test runs a real program of one class through `concurtrace run` and reads the
summary back (and the trace through Perfetto's engine where the arrow or instant is
the point).
"""

from __future__ import annotations

import signal
from pathlib import Path
from typing import Any

import engine
from traced import SCRIPTS, Traced, trace_run

FLOWS_SQL = ("select so.name as source, si.name as target from flow f "
             "join slice so on so.id = f.slice_out join slice si on si.id = f.slice_in")
EVENTS_SQL = ("select s.name, extract_arg(s.arg_set_id, 'debug.event') as event "
              "from slice s where extract_arg(s.arg_set_id, 'debug.event') is not null")


def run(tmp_path: Path, script: str, *options: str) -> Traced:
    return trace_run(tmp_path / f"{script}.pftrace", str(SCRIPTS / f"{script}.py"),
                     options=("--quiet", *options))


def procs(summary: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {p["name"]: p for p in summary["processes"]}


def findings(summary: dict[str, Any], pid: int | None = None) -> list[dict[str, Any]]:
    return [f for f in summary["findings"] if pid is None or f["pid"] == pid]


def test_a_signal_sent_after_a_death_is_not_its_cause(tmp_path: Path) -> None:
    """Item 6: SIGTERM sent to a child already dead of SIGSEGV, or of its own SIGTERM."""
    traced = run(tmp_path, "crash_then_kill")
    assert traced.returncode == 0, traced.stderr
    assert traced.stdout.split() == ["crasher", "-11", "quitter", "-15"]
    summary = traced.summary()
    by_name = procs(summary)
    crasher, quitter = by_name["crasher"], by_name["quitter"]
    assert crasher["signal"] == "SIGSEGV" and crasher["terminated_by"] is None
    # The signal matches, but the child saw its own SIGTERM before the parent sent one.
    assert quitter["signal"] == "SIGTERM"
    assert quitter["terminated_by"] == {"pid": quitter["pid"], "reason": "raised"}
    messages = " ".join(f["message"] + f["advice"] for f in findings(summary))
    assert "via terminate()" not in messages and "on purpose" not in messages, messages
    assert any("crashed with SIGSEGV" in f["message"] for f in findings(summary, crasher["pid"]))


def test_timeout_is_credited_and_blocked_threads_say_so(tmp_path: Path) -> None:
    """Item 7: a deadlocked tree stopped by --timeout."""
    traced = run(tmp_path, "stopped_tree", "--timeout", "1.5")
    assert traced.returncode == 128 + signal.SIGTERM, traced.stderr
    summary = traced.summary()
    by_name = procs(summary)
    root, child = by_name["MainProcess"], by_name["python -c"]
    for proc in (root, child):
        assert proc["signal"] == "SIGTERM"
        assert proc["terminated_by"] == {"pid": None, "reason": "timeout"}, proc
    kinds = [f["kind"] for f in findings(summary)]
    assert "daemon_thread_abandoned" not in kinds and "orphan_still_running" not in kinds, kinds
    for name, func in (("wants-a", "take_a"), ("wants-b", "take_b")):
        thread = next(t for t in summary["threads"] if t["name"] == name)
        assert thread["daemon"] is False and thread["abandoned"] is False
        assert thread["end_reason"] == "stopped"
        assert thread["stack"] and thread["stack"][0]["func"] == func, thread["stack"]
        said = [f for f in findings(summary) if f["tid"] == thread["tid"]]
        assert [f["kind"] for f in said] == ["thread_stopped"]
        assert "when the run was stopped by --timeout" in said[0]["message"]
        assert "non-daemon" not in said[0]["advice"]
    # The main thread too: the signal found it inside Event().wait() on the script's last line.
    main = next(t for t in summary["threads"] if t["tid"] == root["pid"])
    assert main["end_reason"] == "stopped", main
    assert any(f["file"].endswith("stopped_tree.py") for f in main["stack"]), main["stack"]
    stop = next(f for f in findings(summary, root["pid"]) if f["kind"] == "nonzero_exit")
    assert "--timeout" in stop["message"] and "from outside" not in stop["advice"], stop


def test_a_handled_sigterm_keeps_its_sender_and_arrow(tmp_path: Path) -> None:
    """Item 8: workers that handle SIGTERM (terminate() and os.kill) and exit 0."""
    traced = run(tmp_path, "graceful_sigterm")
    assert traced.returncode == 0, traced.stderr
    assert traced.stdout.split()[-2:] == ["0", "0"]
    summary = traced.summary()
    by_name = procs(summary)
    root = by_name["MainProcess"]["pid"]
    for name in ("mp-worker", "python -c"):
        proc = by_name[name]
        assert proc["exit_code"] == 0 and proc["signal"] is None and proc["terminated_by"] is None
        handled = proc["handled_signal"]
        assert handled is not None and (handled["signal"], handled["pid"]) == ("SIGTERM", root)
    assert by_name["MainProcess"]["handled_signal"] is None
    if engine.node_missing_reason() is not None:
        return
    events = engine.query(traced.trace, EVENTS_SQL)
    exits = [e["name"] for e in events if e["event"] == "process_exit"]
    for name in ("mp-worker", "python -c"):
        assert f"{name} exited with code 0 after SIGTERM from MainProcess (handled)" in exits
    flows = engine.query(traced.trace, FLOWS_SQL)
    arrows = [f for f in flows if f["target"] == "received SIGTERM from MainProcess (handled)"]
    assert len(arrows) == 2, flows
    assert any(f["source"].startswith(("BaseProcess.terminate", "terminate")) for f in arrows)
    assert any("kill" in f["source"] for f in arrows), arrows


def test_a_handled_exception_reported_through_the_hooks_is_no_cause(tmp_path: Path) -> None:
    """Item 9: sys.excepthook(*sys.exc_info()) and threading.excepthook(...) called by the
    program for errors it handled; it exits 0."""
    traced = run(tmp_path, "handled_excepthook")
    assert traced.returncode == 0, traced.stderr
    assert "RuntimeError: handled in the main thread" in traced.stderr  # its output unchanged
    summary = traced.summary()
    root = procs(summary)["MainProcess"]
    assert root["exit_code"] == 0 and root["exc_type"] is None and root["end_reason"] == "return"
    reporter = next(t for t in summary["threads"] if t["name"] == "reporter")
    assert reporter["exc_type"] is None and reporter["end_reason"] == "return"
    assert findings(summary) == []


def test_no_join_finding_under_an_untraced_parent(tmp_path: Path) -> None:
    """Item 10: a `python -I` child (untraced) waits for its own traced child."""
    traced = run(tmp_path, "untraced_parent")
    assert traced.returncode == 0, traced.stderr
    summary = traced.summary()
    middle = next(p for p in summary["processes"] if p["traced"] is False)
    grandchild = next(p for p in summary["processes"] if p["ppid"] == middle["pid"])
    assert grandchild["traced"] is True
    assert grandchild["joined"] is None, "an untraced parent's wait cannot be known"
    assert [f["kind"] for f in findings(summary)] == []


def test_library_helpers_are_named_and_exempt(tmp_path: Path) -> None:
    """Item 11: multiprocessing's resource tracker, forkserver and a Manager's server."""
    traced = run(tmp_path, "infrastructure")
    assert traced.returncode == 0, traced.stderr
    summary = traced.summary()
    by_name = procs(summary)
    helpers = ["resource tracker (multiprocessing)", "forkserver (multiprocessing)"]
    manager = next(n for n in by_name if n.startswith("SyncManager-"))
    for name in [*helpers, manager]:
        assert by_name[name]["role"] == "infrastructure", by_name[name]
        assert findings(summary, by_name[name]["pid"]) == [], findings(summary)
    for name in ("MainProcess", "SpawnProcess-1", "ForkServerProcess-2"):
        assert by_name[name]["role"] is None
