"""The few Perfetto protobuf messages the exporter builds, without importing protobuf.

Importing perfetto's generated `perfetto_trace_pb2` (the whole trace schema) took 26-38 ms
of every `concurtrace run`; these classes take well under one. They offer the subset of the
protobuf message API that exporters/perfetto.py uses (keyword constructors, nested fields
created on first touch, `repeated.add(**fields)` and `.extend`, `CopyFrom`, `SetInParent`,
`SerializeToString`) and encode like protobuf does: fields in field-number order, proto2
presence (a field set to 0 is written), unpacked repeated scalars, one member per oneof.
tests/test_pbmsg.py checks the bytes against the real classes. Field numbers and types
are from perfetto's protos (trace_packet.proto, track_event.proto, track_descriptor.proto,
process_tree.proto, debug_annotation.proto, interned_data.proto).
"""

from __future__ import annotations

import struct
from typing import Any, NamedTuple

from concurtrace.exporters.protowire import varint


class Field(NamedTuple):
    number: int
    kind: str  # "int" (varint, also enum and bool), "string", "fixed64", "double", "message"
    repeated: bool = False
    message: str = ""  # the class name of a message field
    oneof: str = ""


class Message:
    FIELDS: dict[str, Field] = {}

    def __init__(self, **values: Any) -> None:
        object.__setattr__(self, "_values", {})
        object.__setattr__(self, "_parent", None)
        object.__setattr__(self, "_slot", "")  # our field name in the parent
        object.__setattr__(self, "_present", False)
        for name, value in values.items():
            setattr(self, name, value)

    def __getattr__(self, name: str) -> Any:  # only for names that are not attributes
        if name in self._values:
            return self._values[name]
        field = self.FIELDS.get(name)
        if field is None or not (field.repeated or field.kind == "message"):
            raise AttributeError(f"{type(self).__name__} has no field {name!r}")
        value: Any = Repeated(self, field) if field.repeated else _new(field, self, name)
        self._values[name] = value
        return value

    def __setattr__(self, name: str, value: Any) -> None:
        field = self.FIELDS.get(name)
        if field is None or field.repeated or field.kind == "message":
            raise AttributeError(f"cannot assign {type(self).__name__}.{name}")
        self._clear_oneof(name)
        self._values[name] = value
        self.SetInParent()

    def _clear_oneof(self, name: str) -> None:
        oneof = self.FIELDS[name].oneof
        if oneof:
            for other, spec in self.FIELDS.items():
                if spec.oneof == oneof and other != name:
                    self._values.pop(other, None)

    def SetInParent(self) -> None:  # noqa: N802 (protobuf's name)
        message: Message = self
        while not message._present:
            object.__setattr__(message, "_present", True)
            parent = message._parent
            if parent is None:
                return
            if message._slot:
                parent._clear_oneof(message._slot)
            message = parent

    def CopyFrom(self, other: Message) -> None:  # noqa: N802
        self._values.clear()
        self._values.update(other._values)
        self.SetInParent()

    def SerializeToString(self) -> bytes:  # noqa: N802
        out = bytearray()
        for name, field in sorted(self.FIELDS.items(), key=lambda item: item[1].number):
            value = self._values.get(name)
            if value is None:
                continue
            for item in value if field.repeated else (value,):
                _encode(out, field, item)
        return bytes(out)


class Repeated(list[Any]):
    def __init__(self, owner: Message, field: Field) -> None:
        super().__init__()
        self.owner, self.field = owner, field

    def add(self, **values: Any) -> Any:
        item = _new(self.field, self.owner)
        for name, value in values.items():
            setattr(item, name, value)
        item.SetInParent()
        self.append(item)
        return item

    def extend(self, values: Any) -> None:
        items = list(values)
        super().extend(items)
        if items:
            self.owner.SetInParent()


def _new(field: Field, parent: Message, slot: str = "") -> Message:
    message: Message = MESSAGES[field.message]()
    object.__setattr__(message, "_parent", parent)
    object.__setattr__(message, "_slot", slot)
    return message


def _encode(out: bytearray, field: Field, value: Any) -> None:
    number = field.number
    if field.kind == "int":
        out += varint(number << 3) + varint(int(value) & 0xFFFFFFFFFFFFFFFF)
    elif field.kind == "fixed64":
        out += varint(number << 3 | 1) + struct.pack("<Q", value)
    elif field.kind == "double":
        out += varint(number << 3 | 1) + struct.pack("<d", value)
    elif field.kind == "string":
        data = str(value).encode("utf-8", "surrogatepass")
        out += varint(number << 3 | 2) + varint(len(data)) + data
    elif value._present:  # a message field nobody set stays absent, as in protobuf
        data = value.SerializeToString()
        out += varint(number << 3 | 2) + varint(len(data)) + data


def _message(name: str, fields: dict[str, Field], **constants: int) -> Any:
    cls = type(name, (Message,), {"FIELDS": fields, **constants})
    MESSAGES[name] = cls
    return cls


MESSAGES: dict[str, type[Message]] = {}
V, S, F64, D = "int", "string", "fixed64", "double"  # varint, length-delimited, 8 bytes


def _m(number: int, message: str, repeated: bool = False, oneof: str = "") -> Field:
    return Field(number, "message", repeated, message, oneof)


EventName = _message("EventName", {"iid": Field(1, V), "name": Field(2, S)})
InternedData = _message("InternedData", {"event_names": _m(2, "EventName", True)})
DebugAnnotation = _message("DebugAnnotation", {
    "name": Field(10, S, oneof="name_field"), "bool_value": Field(2, V, oneof="value"),
    "uint_value": Field(3, V, oneof="value"), "int_value": Field(4, V, oneof="value"),
    "double_value": Field(5, D, oneof="value"), "string_value": Field(6, S, oneof="value")})
TrackEvent = _message("TrackEvent", {
    "category_iids": Field(3, V, True), "debug_annotations": _m(4, "DebugAnnotation", True),
    "type": Field(9, V), "name_iid": Field(10, V, oneof="name_field"),
    "track_uuid": Field(11, V), "categories": Field(22, S, True),
    "name": Field(23, S, oneof="name_field"),
    "counter_value": Field(30, V, oneof="counter_value_field"),
    "double_counter_value": Field(44, D, oneof="counter_value_field"),
    "flow_ids": Field(47, F64, True), "terminating_flow_ids": Field(48, F64, True)},
    TYPE_SLICE_BEGIN=1, TYPE_SLICE_END=2, TYPE_INSTANT=3, TYPE_COUNTER=4)
ProcessDescriptor = _message("ProcessDescriptor", {
    "pid": Field(1, V), "cmdline": Field(2, S, True), "process_name": Field(6, S),
    "start_timestamp_ns": Field(7, V), "process_labels": Field(8, S, True)})
ThreadDescriptor = _message("ThreadDescriptor", {
    "pid": Field(1, V), "tid": Field(2, V), "thread_name": Field(5, S)})
CounterDescriptor = _message("CounterDescriptor", {
    "unit": Field(3, V), "is_incremental": Field(5, V), "unit_name": Field(6, S)})
TrackDescriptor = _message("TrackDescriptor", {
    "uuid": Field(1, V), "name": Field(2, S, oneof="static_or_dynamic_name"),
    "process": _m(3, "ProcessDescriptor"), "thread": _m(4, "ThreadDescriptor"),
    "parent_uuid": Field(5, V), "counter": _m(8, "CounterDescriptor"),
    "static_name": Field(10, S, oneof="static_or_dynamic_name"),
    "child_ordering": Field(11, V), "sibling_order_rank": Field(12, V),
    "description": Field(14, S)})
ProcessTreeProcess = _message("ProcessTreeProcess", {
    "pid": Field(1, V), "ppid": Field(2, V), "cmdline": Field(3, S, True),
    "uid": Field(5, V), "nspid": Field(6, V, True)})
ProcessTreeThread = _message("ProcessTreeThread", {
    "tid": Field(1, V), "name": Field(2, S), "tgid": Field(3, V), "nstid": Field(4, V, True)})
ProcessTree = _message("ProcessTree", {
    "processes": _m(1, "ProcessTreeProcess", True), "threads": _m(2, "ProcessTreeThread", True)})
TracePacket = _message("TracePacket", {
    "process_tree": _m(2, "ProcessTree", oneof="data"), "timestamp": Field(8, V),
    "trusted_packet_sequence_id": Field(10, V), "track_event": _m(11, "TrackEvent", oneof="data"),
    "interned_data": _m(12, "InternedData"), "sequence_flags": Field(13, V),
    "track_descriptor": _m(60, "TrackDescriptor", oneof="data")},
    SEQ_INCREMENTAL_STATE_CLEARED=1, SEQ_NEEDS_INCREMENTAL_STATE=2)
