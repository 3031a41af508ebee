"""Issue 17, who woke them: a task waiting on an asyncio Lock, Event, Condition, Semaphore
or Queue names the task whose call woke it (the awaiting slice's woken_by), with a flow
from that task's step to the step where it resumed; a plain callback's wake has no flow."""

from __future__ import annotations

from pathlib import Path

import engine
import pytest
from traced import SCRIPTS, summary_json, trace_run

SCRIPT = str(SCRIPTS / "asyncio_wakes.py")
WOKEN = [("Lock.acquire", "task holder (holder) by Lock.release"),
         ("Event.wait", "task holder (holder) by Event.set"),
         ("Condition.wait", "task holder (holder) by Condition.notify"),
         ("Semaphore.acquire", "task holder (holder) by Semaphore.release"),
         ("Queue.get", "task holder (holder) by Queue.put"),
         ("Event.wait", "a callback by Event.set")]


@pytest.mark.parametrize(("options", "loop"), [((), "asyncio"), (("--light",), "asyncio"),
                                              (("--light",), "uvloop")],
                         ids=["full", "light", "uvloop"])
def test_each_wait_names_who_woke_it(options: tuple[str, ...], loop: str,
                                     tmp_path: Path) -> None:
    target = SCRIPT
    if loop == "uvloop":
        pytest.importorskip("uvloop")
        script = tmp_path / "wakes_uvloop.py"
        script.write_text(Path(SCRIPT).read_text().replace(
            "asyncio.run(main())", "import uvloop\nuvloop.run(main())"))
        target = str(script)
    run = trace_run(tmp_path / "t.pftrace", target, options=("--quiet", *options),
                    cwd=tmp_path)
    assert (run.returncode, run.stdout) == (0, "got item\n"), run.stderr
    rows = engine.query(run.trace, "select s.name, extract_arg(s.arg_set_id, "
                        "'debug.woken_by') as woken from slice s join track t on "
                        "s.track_id = t.id where t.name = 'task waiter (waiter)' and "
                        "s.name like 'awaiting %' and s.name != 'awaiting asyncio.sleep' "
                        "order by s.ts")
    assert [(r["name"].removeprefix("awaiting "), r["woken"]) for r in rows] == WOKEN, rows
    flows = engine.query(run.trace, "select tso.name as src, tsi.name as dst from flow f "
                         "join slice so on f.slice_out = so.id join slice si on "
                         "f.slice_in = si.id join track tso on so.track_id = tso.id join "
                         "track tsi on si.track_id = tsi.id")
    wakes = [f for f in flows if (f["src"], f["dst"]) == ("task holder (holder)",
                                                         "task waiter (waiter)")]
    assert len(wakes) == 5, flows  # the callback's wake has none
    [loop] = summary_json(run.trace)["asyncio"]["loops"]
    woken = {kind: row.get("woken_by") for kind, row in loop["awaits"].items()}
    assert woken["Event.wait"] == {"holder": 1, "a callback": 1}, woken
    assert woken["Lock.acquire"] == woken["Queue.get"] == {"holder": 1}, woken
    assert woken["asyncio.sleep"] is None, woken
