"""exporters/protowire_events.py: the slices with arguments or flows (asyncio's task
slices, "loop blocked", executor calls, sync waits) are hand-encoded with the bytes the
protobuf message path wrote, at a few Python calls a slice instead of ~60."""

from __future__ import annotations

import io
import sys
from typing import Any

import pytest

from concurtrace.exporters import pbmsg, perfetto
from concurtrace.exporters.protowire import trace_packet
from concurtrace.exporters.protowire_events import EventEncoder
from concurtrace.exporters.task_tracks import task_tracks
from concurtrace.model.timeline import Timeline
from concurtrace.runner.run import RunConfig, run

# Every kind of task slice and argument: create_task and await flows, an exception never
# retrieved (a false bool), a pending task (unfinished: true), a to_thread call (an int),
# a loop-blocking step, names beyond ASCII, 1500 steps of one task.
SCRIPT = r"""
import asyncio, time

async def child(n):
    for _ in range(n):
        await asyncio.sleep(0)
    return n

async def fails():
    raise ValueError("é ✓ no")

async def forever():
    await asyncio.Event().wait()

async def main():
    waiter = asyncio.create_task(forever(), name="pending ✓")
    lost = asyncio.create_task(fails())
    kids = [asyncio.create_task(child(n), name=f"kid-{n}") for n in (1, 3, 1500)]
    await asyncio.gather(*kids)
    await asyncio.to_thread(time.sleep, 0.01)
    time.sleep(0.12)  # blocks the loop
    await asyncio.sleep(0.01)
    del lost

asyncio.run(main())
"""


def _via_messages(classes: Any, names: dict[str, int], ts: int, uuid: int, name: str,
                  args: dict[str, Any] | None, flows_out: list[int] | None,
                  flows_in: list[int] | None) -> bytes:
    """The begin packet as perfetto.py built it before protowire_events (pbmsg objects)."""
    packet = classes.TracePacket(timestamp=max(ts, 0), trusted_packet_sequence_id=1,
                                 sequence_flags=2)
    event = packet.track_event
    event.track_uuid, event.type = uuid, 1
    iid = names.get(name)
    if iid is None:
        iid = names[name] = len(names) + 1
        packet.interned_data.event_names.add(iid=iid, name=name)
    event.name_iid = iid
    for key, value in (args or {}).items():
        if value is None:
            continue
        note = event.debug_annotations.add(name=key)
        if isinstance(value, bool):
            note.bool_value = value
        elif isinstance(value, int):
            note.int_value = value
        elif isinstance(value, float):
            note.double_value = value
        else:
            note.string_value = str(value)
    if flows_out:
        event.flow_ids.extend(flows_out)
    if flows_in:
        event.terminating_flow_ids.extend(flows_in)
    return trace_packet(packet.SerializeToString())


def _export(timeline: Timeline, monkeypatch: pytest.MonkeyPatch, classes: Any = None) -> bytes:
    """The uncompressed trace; with classes, its special slices built as messages."""
    with monkeypatch.context() as patch:
        if classes is not None:
            def begin(self: EventEncoder, *slice_fields: Any) -> bytes:
                return _via_messages(classes, self.names, *slice_fields)
            patch.setattr(EventEncoder, "begin", begin)
        buffer = io.BytesIO()
        perfetto.write(timeline, buffer, compress=False)
        return buffer.getvalue()


@pytest.fixture(scope="module")
def timeline(tmp_path_factory: pytest.TempPathFactory) -> Timeline:
    script = tmp_path_factory.mktemp("events") / "tasks.py"
    script.write_text(SCRIPT)
    result = run(RunConfig(target_argv=[str(script)], light=True))
    return result.timeline


def _specials(timeline: Timeline) -> list[str]:
    rows = task_tracks(timeline)
    return [s.name for tracks in rows.values() for _, pieces, _ in tracks for s in pieces]


def test_same_bytes_as_the_message_path(timeline: Timeline,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    names = set(_specials(timeline))
    assert {"running", "scheduled"} <= names and any(n.startswith("awaiting") for n in names)
    assert any(n.startswith("loop blocked") for n in names)
    assert any(n.startswith("to_thread") for n in names)
    ours = _export(timeline, monkeypatch)
    assert ours == _export(timeline, monkeypatch, pbmsg)
    pb2 = pytest.importorskip("perfetto.protos.perfetto.trace.perfetto_trace_pb2")
    assert ours == _export(timeline, monkeypatch, pb2)


@pytest.mark.parametrize("args", [
    None, {}, {"a": None}, {"flag": True, "off": False},
    {"n": 0, "neg": -9, "big": 2**62 + 1, "low": -2**63},
    {"x": 1.5, "nan": float("nan"), "zero": 0.0, "s": "é ✓", "empty": ""},
    {"list": [1, "b"]},
    {"same": 1, "again": True, "float": 1.0}])
def test_packet_bytes(args: dict[str, Any] | None) -> None:
    pb2 = pytest.importorskip("perfetto.protos.perfetto.trace.perfetto_trace_pb2")
    for classes in (pbmsg, pb2):
        ours, theirs = EventEncoder({}, 1, 2), {"other": 1}
        ours.names["other"] = 1
        for ts, name, flows_out, flows_in in ((-5, "first é", None, [7]), (2**40, "first é",
                                              [1 << 41, 2**63 + 3], [3, 4]), (1, "b", [], [])):
            for _ in range(2):  # a second time: the annotations come from the cache
                got = ours.begin(ts, 300, name, args, flows_out, flows_in)
                assert got == _via_messages(classes, theirs, ts, 300, name, args, flows_out,
                                            flows_in)
        assert ours.names == theirs


def test_cache_keeps_equal_values_apart() -> None:
    """Values equal as dict keys but encoded differently share no cache entry."""
    ours, theirs = EventEncoder({}, 1, 2), dict[str, int]()
    for value in (0.0, -0.0, 0, False, 1, True, 1.0, float("nan"), "1", -0.0, 0.0, True, 1):
        args = {"v": value}
        assert ours.begin(5, 3, "x", args, None, None) == _via_messages(
            pbmsg, theirs, 5, 3, "x", args, None, None)


def test_few_calls_per_task_slice(timeline: Timeline, monkeypatch: pytest.MonkeyPatch) -> None:
    """The cost: Python calls into concurtrace per special slice (the pbmsg path made ~60:
    objects, attribute hooks, per-field encoders). Counted, not timed: machine-independent."""
    specials = len(_specials(timeline))
    assert specials > 3000

    def calls_in_export() -> int:
        calls = [0]

        def profile(frame: Any, event: str, arg: Any) -> None:
            if event == "call" and "/concurtrace/exporters/" in frame.f_code.co_filename:
                calls[0] += 1

        sys.setprofile(profile)
        try:
            _export(timeline, monkeypatch)
        finally:
            sys.setprofile(None)
        return calls[0]

    # the export with the task slices dropped: the rest of the trace's calls
    with monkeypatch.context() as patch:
        patch.setattr(perfetto, "task_tracks", lambda _timeline: {})
        rest = calls_in_export()
    per_slice = (calls_in_export() - rest) / specials
    assert per_slice < 10
