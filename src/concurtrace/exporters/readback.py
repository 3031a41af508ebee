"""Saved trace -> Timeline facts, so a run can be summarised again without re-running it.

Our traces embed the summary dict; a plain VizTracer JSON trace gets a
best-effort timeline (processes and threads, no lifecycle). Never executes or
unpickles anything from the file.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from concurtrace.errors import ConcurtraceError
from concurtrace.exporters.common import SUMMARY_KEY
from concurtrace.formats import LABELS_TEXT, sniff
from concurtrace.model.serialize import timeline_from_dict
from concurtrace.model.timeline import Process, Thread, Timeline


class TraceReadError(ConcurtraceError):
    """The file is not a trace we can read; the message is one line for the user."""


def read_trace(path: Path) -> Timeline:
    try:
        with open(path, "rb") as stream:
            raw = stream.read(64)
    except OSError as error:
        raise TraceReadError(f"cannot read {path}: {error.strerror or error}") from None
    if not raw:
        raise TraceReadError(f"{path} is empty, not a trace")
    found = sniff(raw)
    reader = _READERS.get(found.name) if found is not None else None
    if reader is None:
        raise TraceReadError(f"{path} is not a {LABELS_TEXT} trace")
    return reader(path)


def check_whole(path: Path) -> None:
    """Refuses a file any viewer would choke on: a Perfetto trace whose packets do not
    frame the whole file (cut, corrupt), invalid JSON, JSON without a list of event objects.
    Any tool's trace passes."""
    try:
        with open(path, "rb") as stream:
            data = stream.read()
    except OSError as error:
        raise TraceReadError(f"cannot read {path}: {error.strerror or error}") from None
    found = sniff(data)
    if found is not None and found.name == "json":
        events = _json_events(data, path)
        if not all(isinstance(e, dict) for e in events):
            raise TraceReadError(f"{path} is JSON but not a trace (no list of events)")
        return
    for _ in _packets(data, path):
        pass


def _packets(data: bytes, path: Path) -> Iterator[bytes]:
    """Each Trace.packet of a .pftrace, up to the last byte: a cut or corrupt file raises."""
    offset = 0
    while offset < len(data):
        if data[offset] != 0x0A:  # Trace.packet, field 1, length-delimited
            raise TraceReadError(f"{path} is corrupt at byte {offset} (not a packet)")
        length, offset = _varint(data, offset + 1)
        if length is None or offset + length > len(data):
            raise TraceReadError(f"{path} is truncated at byte {offset}")
        yield data[offset:offset + length]
        offset += length


def _read_protobuf(path: Path) -> Timeline:
    from perfetto.protos.perfetto.trace.perfetto_trace_pb2 import (
        TracePacket,
    )

    marker = SUMMARY_KEY.encode()
    found: Timeline | None = None
    for chunk in _packets(path.read_bytes(), path):  # to the end: a cut tail is refused too
        if found is not None or marker not in chunk:
            continue
        packet = TracePacket()
        try:
            packet.ParseFromString(chunk)
        except Exception:  # noqa: BLE001 - protobuf raises its own DecodeError
            raise TraceReadError(f"{path} has a corrupt packet") from None
        for note in packet.track_event.debug_annotations:
            if note.name == SUMMARY_KEY:
                found = _from_payload(note.string_value, path)
    if found is None:
        raise TraceReadError(f"{path} is a Perfetto trace but not one written by concurtrace")
    return found


def _varint(data: bytes, offset: int) -> tuple[int | None, int]:
    value, shift = 0, 0
    while offset < len(data) and shift < 64:
        byte = data[offset]
        value |= (byte & 0x7F) << shift
        offset += 1
        if not byte & 0x80:
            return value, offset
        shift += 7
    return None, offset


def _from_payload(text: str, path: Path) -> Timeline:
    try:
        payload = json.loads(text)
        return timeline_from_dict(payload)
    except (ValueError, KeyError, TypeError, AttributeError):
        raise TraceReadError(f"{path}: the embedded concurtrace summary is corrupt") from None


def _json_events(raw: bytes, path: Path) -> list[Any]:
    try:
        data: Any = json.loads(raw)
    except (ValueError, RecursionError):
        raise TraceReadError(f"{path} is not valid JSON (truncated or corrupt)") from None
    events = data.get("traceEvents") if isinstance(data, dict) else data
    if not isinstance(events, list):
        raise TraceReadError(f"{path} is JSON but not a trace (no traceEvents list)")
    return events


def _read_json(path: Path) -> Timeline:
    events = _json_events(path.read_bytes(), path)
    for event in events:
        if isinstance(event, dict) and event.get("ph") == "i":
            args = event.get("args")
            if isinstance(args, dict) and SUMMARY_KEY in args:
                return _from_payload(str(args[SUMMARY_KEY]), path)
    return _foreign_json(events)


def _number(value: Any) -> float | None:
    """A finite float from a trace field, or None (foreign traces carry anything)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    number = float(value)
    return number if abs(number) < 1e15 else None


def _foreign_json(events: list[Any]) -> Timeline:
    """A trace from another tool (e.g. plain VizTracer): processes and threads only."""
    timeline = Timeline(gil_method="none")
    timeline.notes.append("not a concurtrace trace: processes and threads only, no lifecycle")
    stamps: list[float] = []
    for event in events:
        if not isinstance(event, dict) or not isinstance(event.get("pid"), int):
            continue
        pid, tid = event["pid"], event.get("tid")
        proc = timeline.processes.setdefault(pid, Process(pid=pid, name=f"pid {pid}"))
        raw_args = event.get("args")
        args: dict[str, Any] = raw_args if isinstance(raw_args, dict) else {}
        if event.get("ph") == "M" and event.get("name") == "process_name":
            proc.name = str(args.get("name", proc.name))
        if isinstance(tid, int):
            thread = proc.threads.setdefault(tid, Thread(pid=pid, tid=tid, name=f"Thread {tid}"))
            if event.get("ph") == "M" and event.get("name") == "thread_name":
                thread.name = str(args.get("name", thread.name))
            ts_us, dur_us = _number(event.get("ts")), _number(event.get("dur")) or 0.0
            if ts_us is not None:
                ts = int(ts_us * 1000)
                end = ts + int(max(dur_us, 0.0) * 1000)
                thread.started_ns = min(thread.started_ns or ts, ts)
                thread.ended_ns = max(thread.ended_ns or end, end)
                stamps.extend((ts, end))
    for proc in timeline.processes.values():
        starts = [t.started_ns for t in proc.threads.values() if t.started_ns is not None]
        ends = [t.ended_ns for t in proc.threads.values() if t.ended_ns is not None]
        proc.started_ns, proc.ended_ns = min(starts, default=None), max(ends, default=None)
        proc.traced = True
    if stamps:
        timeline.started_ns, timeline.ended_ns = int(min(stamps)), int(max(stamps))
    return timeline


_READERS: dict[str, Callable[[Path], Timeline]] = {"perfetto": _read_protobuf, "json": _read_json}
