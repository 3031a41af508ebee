"""A SIGTERM that lands while a process saves its function trace on its way out (a pool
worker exiting as Pool.terminate() sends it SIGTERM) ends it by SIGTERM, as without us, and
after the save: the calls it made are kept, not cut off with the file half written."""

from __future__ import annotations

from pathlib import Path

import engine
from traced import summary_json, trace_run

CALLS = 300_000  # a dump of this size takes well over the watchdog's 0.2 s start bound

# The parent sends SIGTERM the moment the child's trace file appears: concurtrace creates it
# right before the save, so the signal lands during the save.
TERMINATED_WHILE_SAVING = f"""
import glob, os, signal, time
def work(n):
    return n
pid = os.fork()
if pid == 0:
    for i in range({CALLS}):
        work(i)
    os._exit(0)
pattern = os.path.join(os.environ["CONCURTRACE_SESSION"], f"trace-{{pid}}-*.json")
deadline = time.monotonic() + 30
while not glob.glob(pattern) and time.monotonic() < deadline:
    time.sleep(0.0005)
os.kill(pid, signal.SIGTERM)
_, status = os.waitpid(pid, 0)
print("child", os.WTERMSIG(status) if os.WIFSIGNALED(status) else "exit")
"""


@engine.requires_node
def test_sigterm_during_the_exit_save_keeps_the_trace(tmp_path: Path) -> None:
    script = tmp_path / "saving.py"
    script.write_text(TERMINATED_WHILE_SAVING)
    run = trace_run(tmp_path / "s.pftrace", str(script))
    assert run.returncode == 0, run.stderr
    # Without us the child dies by SIGTERM too: it would still be in its loop or exiting.
    assert "child 15" in run.stdout, run.stdout
    summary = summary_json(run.trace)
    child = next(p for p in summary["processes"] if p["pid"] != summary["processes"][0]["pid"])
    assert child["signal"] == "SIGTERM", child
    assert not [n for n in summary["notes"] if f"pid {child['pid']}" in n], summary["notes"]
    works = engine.query(run.trace, "select count(*) as n from slice where name like 'work%'")
    assert works[0]["n"] == CALLS, works
