"""Issue 17's cost of the asyncio hooks per callback (runner/hooks_asyncio*.py): a plain
callback runs through one function of ours, a task step's common row is written packed,
and the packed rows read back as the same steps as the JSON rows did."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

from traced import REPO

from concurtrace.model.tasks import build_tasks, packed_rows, unpack
from concurtrace.runner.hooks_asyncio_state import PACKED_ROW, STEP_COLUMNS, UNNAMED, State

# In a child process (the hooks patch asyncio): N sleep(0) steps and N plain callbacks
# with only the asyncio hooks installed, the Python calls into concurtrace counted.
COUNT_CALLS = r"""
import asyncio, json, sys
from concurtrace.runner import hooks_asyncio_steps as steps
from concurtrace.runner.hooks_asyncio import install_asyncio
from concurtrace.runner.hookset import HookSet

# the loop counters (once per ms) and a batch's end (50 ms) go by time: not in these
# counts, which the machine's speed would move; --light's await names (WALKS a ms) either:
# every await named (as the default mode does), or none (argv[1] == "unnamed")
from concurtrace.runner import hooks_asyncio_loop as loop_health
loop_health.CHECK_NS = loop_health.SAMPLE_NS = loop_health.BATCH_NS = 10**15
steps.WALKS = 0 if sys.argv[1:] == ["unnamed"] else 2**62

class Sink:
    config = {"light": True}
    records = []
    def write(self, record): self.records.append(record)
    def call(self, function, *args, **kwargs): return function(*args, **kwargs)
    def finalize(self, reason): pass

N = 300
calls = {"n": 0}
def profile(frame, event, arg):
    if event == "call" and "/concurtrace/" in frame.f_code.co_filename:
        calls["n"] += 1

async def steps():
    for _ in range(N):
        await asyncio.sleep(0)

async def plain():
    loop = asyncio.get_running_loop()
    done = loop.create_future()
    def callback(left):
        if left: loop.call_soon(callback, left - 1)
        else: done.set_result(None)
    loop.call_soon(callback, N - 1)
    await done

async def main():
    await asyncio.sleep(0)  # the loop numbered, its first counters written
    out = {}
    for name, work in (("plain", plain), ("steps", steps)):
        calls["n"] = 0
        sys.setprofile(profile)
        await work()
        sys.setprofile(None)
        out[name] = calls["n"]
    return out

sink, hooks = Sink(), HookSet()
install_asyncio(hooks, sink)
counts = asyncio.run(main())
hooks.uninstall()  # the last batch written
print(json.dumps({"counts": counts, "records": sink.records}))
"""


def _count_calls(*argv: str) -> dict[str, Any]:
    done = subprocess.run([sys.executable, "-c", COUNT_CALLS, *argv], capture_output=True,
                          text=True, timeout=60, cwd=REPO)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)  # type: ignore[no-any-return]


def test_plain_callbacks_and_steps_cost_few_calls_and_common_steps_go_packed() -> None:
    out = _count_calls()
    counts = out["counts"]
    # a plain callback: Handle._run's replacement alone (it was 2: steps.ran after it),
    # and here each callback is a loop iteration of its own: _run_once's hook (the loop
    # counters, which were looked at after every callback); a few more for plain()'s own
    # steps (608 before, without the _run_once hook)
    assert counts["plain"] <= 300 * 2 + 20, counts
    # a step: the hook and the await walk, and the iteration's _run_once hook (it was 7:
    # ran, the walk, two name lookups, emit and more: 2105 before; then 3, 930 with the
    # iterations' hook)
    assert counts["steps"] <= 300 * 3 + 30, counts
    steps = [r for r in out["records"] if r["ev"] == "asteps"]
    packed = sum(len(packed_rows(r)) for r in steps)
    rows = sum(len(r["rows"]) for r in steps)
    assert packed >= 300 and rows <= 10, (packed, rows)  # first and last steps: rows
    data = build_tasks([{**r, "pid": 1} for r in out["records"]])
    [task] = [t for t in data.tasks.values() if t.name == "Task-1"]
    awaits = [s.awaits for s in task.steps]
    assert awaits.count("asyncio.sleep") >= 300, awaits[:5]


def test_light_leaves_the_awaits_of_steps_between_its_named_ones_unnamed() -> None:
    out = _count_calls("unnamed")
    # no await walk: the hook and the iteration's hook alone
    assert out["counts"]["steps"] <= 300 * 2 + 30, out["counts"]
    data = build_tasks([{**r, "pid": 1} for r in out["records"]])
    [task] = [t for t in data.tasks.values() if t.name == "Task-1"]
    awaits = [s.awaits for s in task.steps]
    # the first step (a row with a dict) is named; the others say they were not, and why
    assert awaits.count(UNNAMED) >= 300, awaits[:5]
    assert "asyncio.sleep" in awaits, awaits[:5]


class ListSink:
    def __init__(self) -> None:
        self.records: list[dict[str, Any]] = []

    def write(self, record: dict[str, Any]) -> None:
        self.records.append({**json.loads(json.dumps(record)), "pid": 7})


def test_packed_rows_read_back_as_the_json_rows() -> None:
    sink = ListSink()
    state = State(sink, 100_000_000)  # type: ignore[arg-type]
    base = 1_700_000_000_000_000_000
    sleep0, line = state.name_id("asyncio.sleep"), state.name_id("/x/app.py:12")
    state.emit([base, base + 10, 99, 1, 5, None, None, None, {"name": "worker", "coro": "w"}])
    for i in range(1, 150):  # three batches of packed rows (64 each)
        awaited_task = 6 if i % 2 else 0
        state.emit_flat(base + i * 100, (base + i * 100, 7, 99, 1, 5,
                                         sleep0, line if i % 3 else 0, awaited_task))
    state.emit([base + 99_999, base + 100_000, 99, 1, 5, None, None, None, {"out": "result"}])
    state.flush()
    assert sum(1 for r in sink.records if "packed" in r) == 3
    task = build_tasks(sink.records).tasks[(7, 5)]
    assert task.name == "worker" and task.outcome == "result"
    assert task.ended_ns == base + 100_000 and len(task.steps) == 151
    for i, step in enumerate(task.steps[1:150], start=1):
        assert (step.start, step.end) == (base + i * 100, base + i * 100 + 7)
        assert step.awaits == "asyncio.sleep"
        assert step.at == ("/x/app.py:12" if i % 3 else None)
        assert step.awaits_task == (6 if i % 2 else None)


def test_a_row_out_of_the_packed_columns_range_is_written_as_a_json_row() -> None:
    sink = ListSink()
    state = State(sink, 100_000_000)  # type: ignore[arg-type]
    base = 1_700_000_000_000_000_000
    state.emit_flat(base, (base, 7, 99, 1, 5, 1, 0, 0))
    state.emit_flat(base + 100, (base + 100, 7, 99, 1, 5, 1, 0, 2**33))  # awt past uint32
    state.flush()
    [record] = sink.records
    assert record["rows"] == [[base + 100, base + 107, 99, 1, 5, 1, None, 2**33]]
    assert len(packed_rows(record)) == 1 and packed_rows(record)[0][0] == base


def test_unpack_ignores_what_it_cannot_read() -> None:
    cols = list(STEP_COLUMNS)
    assert unpack(None, cols) == [] and unpack("###", cols) == []
    assert unpack("AAAA", cols) == []  # 3 bytes: no whole row
    assert unpack("AAAAAAAAAAA=", None) == []
    assert unpack("AAAA", cols, PACKED_ROW) == []  # the 36-byte rows: none whole
    assert unpack("AAAAAAAAAAA=", cols, "Z" * len(cols)) == []  # not a struct format


# A plain callback that is a bound method of a task (loop.call_soon(task.get_name)) is not
# a step of it: before, each made a "running" slice of a task that was not running.
TASK_METHOD_CALLBACKS = r"""
import asyncio, json
from concurtrace.runner.hooks_asyncio import install_asyncio
from concurtrace.runner.hookset import HookSet

class Sink:
    config = {"light": True}
    records = []
    def write(self, record): self.records.append(json.loads(json.dumps(record)))
    def call(self, function, *args, **kwargs): return function(*args, **kwargs)
    def finalize(self, reason): pass

async def sleeper():
    await asyncio.sleep(10)

async def main():
    victim = asyncio.create_task(sleeper(), name="victim")
    await asyncio.sleep(0.01)
    loop = asyncio.get_running_loop()
    loop.call_soon(victim.get_name)
    loop.call_soon(victim.done)
    loop.call_later(0.001, victim.get_coro)
    await asyncio.sleep(0.02)
    victim.cancel()
    try:
        await victim
    except asyncio.CancelledError:
        pass

sink, hooks = Sink(), HookSet()
install_asyncio(hooks, sink)
asyncio.run(main())
hooks.uninstall()
print(json.dumps(sink.records))
"""


def test_a_tasks_method_run_as_a_callback_is_not_a_step_of_it() -> None:
    done = subprocess.run([sys.executable, "-c", TASK_METHOD_CALLBACKS], capture_output=True,
                          text=True, timeout=60, cwd=REPO)
    assert done.returncode == 0, done.stderr
    data = build_tasks([{**r, "pid": 1} for r in json.loads(done.stdout)])
    [victim] = [t for t in data.tasks.values() if t.name == "victim"]
    # its first step (to the sleep) and the one that took the cancellation (4 before)
    assert [s.awaits for s in victim.steps] == ["asyncio.sleep", None]
    assert victim.outcome == "cancelled"
