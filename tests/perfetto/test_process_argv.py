"""The real argv of every process is queryable in the trace, unchanged: Perfetto takes
a process's name from the first element of its `process_tree` cmdline, so
`process.cmdline` begins with the role name ("MainProcess /usr/bin/python3 app.py"),
and the exact argv is in the process's args, `chrome.process_label[i]`."""

from __future__ import annotations

import json
from pathlib import Path

import engine
from traced import SCRIPTS, trace_run

pytestmark = engine.requires_node

ARGV_SQL = (
    "select p.pid, p.name, a.key, a.display_value from process p join args a "
    "on a.arg_set_id = p.arg_set_id where p.pid > 0 and a.key glob 'chrome.process_label*'"
)


def test_real_argv_is_in_process_labels_and_names_stay_roles(tmp_path: Path) -> None:
    run = trace_run(tmp_path / "argv.pftrace", str(SCRIPTS / "argv_children.py"))
    assert run.returncode == 0, run.stderr
    printed = [json.loads(line[5:]) for line in run.stdout.splitlines()
               if line.startswith("ARGV ")]
    assert len(printed) == 3, run.stdout
    names: dict[int, str] = {}
    argv: dict[int, dict[int, str]] = {}
    for row in engine.query(run.trace, ARGV_SQL):
        names[row["pid"]] = row["name"]
        index = int(str(row["key"]).split("[")[1].rstrip("]"))
        argv.setdefault(row["pid"], {})[index] = str(row["display_value"] or "")
    by_pid = {pid: [args[i] for i in sorted(args)] for pid, args in argv.items()}
    summary = {p["pid"]: p for p in run.summary()["processes"]}
    for pid, proc in summary.items():
        # The JSON summary and the trace agree, element by element.
        assert by_pid.get(pid) == proc["cmdline"], (pid, by_pid.get(pid), proc["cmdline"])
    # ... and both are the argv the kernel gave each process.
    assert {tuple(a) for a in printed} <= {tuple(a) for a in by_pid.values()}, by_pid
    popen = next(a for a in by_pid.values() if "two words" in a)
    assert popen[3:] == ["two words", "", "--size=3", "naïve"]
    # The UI names (process.name) are still the roles, not "python3".
    assert {"MainProcess", "python -c", "argv-child"} <= set(names.values()), names
    assert not any("python3" in name for name in names.values()), names
