"""Lifecycle records: the line format every traced process appends to its own file.

Each record is one JSON object on one line, written with a single os.write() on
an O_APPEND fd, so it reaches the kernel at once: a process that dies by SIGKILL
or os._exit still leaves every record written before that moment.

Each lifecycle record kind ("ev") is one TypedDict (model/record_types.py), all with
"ts" (monotonic ns) and "pid" (the writer; the recorder adds it): the writers
(runner/hooks*.py, bootstrap.py) build them by these types, so mypy catches a field that
drifts. Lines come back as parsed JSON (RawRecord); the readers take the lifecycle ones
as typed Records (the one cast is as_lifecycle, which model/sources.py's RecordIndex
uses) and narrow each by its "ev", so mypy checks every field they read against what the
writers write. A file may be
torn or from another version: a field that can be missing is read with a default. The
synchronization records are model/sync.py's, the asyncio ones model/tasks.py's.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator

from concurtrace.model.jsonline import dumps
from concurtrace.model.segments import parse_lines, read_segments

TYPE_CHECKING = False  # not typing's: importing typing costs every traced process
if TYPE_CHECKING:
    from typing import Any, cast
else:
    def cast(_type: object, value: object) -> object:
        return value  # typing.cast, without importing typing

__all__ = ["LIFECYCLE_KINDS", "ExceptionRaised", "ExecCall", "ExitCall", "Finalize", "Hello",
           "Join", "ProcessStart", "RawRecord", "Reaped", "Record", "RecordWriter", "Role",
           "SignalReceived", "SignalsIgnored", "Subinterpreter", "Terminate", "ThreadAbandoned",
           "ThreadExit", "ThreadStart", "TraceError", "TraceSaved", "TraceStopped", "as_lifecycle",
           "lifecycle_records", "read_records", "read_session"]

if TYPE_CHECKING:
    RawRecord = dict[str, Any]  # a record as read back: any JSON object with an "ev"
else:
    RawRecord = dict
# The "ev" of each lifecycle record type (tests/test_records.py checks it is theirs).
LIFECYCLE_KINDS = frozenset({
    "hello", "role", "process_start", "terminate", "reaped", "join", "signal", "exception",
    "exit_call", "exec", "thread_start", "thread_exit", "thread_abandoned", "finalize",
    "trace_saved", "trace_error", "subinterpreter", "trace_stopped", "ignoring"})

if TYPE_CHECKING:
    from pathlib import Path  # the parent passes Paths; the child never imports pathlib

    from concurtrace.model.record_types import (
        ExceptionRaised,
        ExecCall,
        ExitCall,
        Finalize,
        Hello,
        Join,
        ProcessStart,
        Reaped,
        Record,
        Role,
        SignalReceived,
        SignalsIgnored,
        Subinterpreter,
        Terminate,
        ThreadAbandoned,
        ThreadExit,
        ThreadStart,
        TraceError,
        TraceSaved,
        TraceStopped,
    )
else:  # the child builds plain dicts by these names (record_types.py says why)
    Hello = Role = ProcessStart = Terminate = Reaped = Join = SignalReceived = dict
    SignalsIgnored = dict
    ExceptionRaised = ExecCall = ExitCall = ThreadStart = ThreadExit = ThreadAbandoned = dict
    Finalize = TraceSaved = TraceError = Subinterpreter = TraceStopped = dict
    Record = RawRecord


FIRST_HIGH_FD = 400  # above the fds a program normally has (sigwatch's pipe lives there too)
# Our long-lived fds in this process (the record file, sigwatch's pipe): a close or
# closerange of the program leaves them open, as fds that would not exist without us
# (runner/hooks.py); had it closed them, the next file it opened would get our records.
OWN_FDS: set[int] = set()


def above_program_fds(fd: int) -> int:
    """fd moved to the first free number >= FIRST_HIGH_FD: a low one is a number the program
    counts on (a test that lists its child's fds, a dup2() onto 3, a closerange(3, 256))
    and, had the program closed and reused it, our records would go into its file."""
    import fcntl
    import resource

    if resource.getrlimit(resource.RLIMIT_NOFILE)[0] >= 2 * FIRST_HIGH_FD:
        try:
            moved = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, FIRST_HIGH_FD)
        except OSError:
            pass
        else:
            os.close(fd)
            fd = moved
    OWN_FDS.add(fd)
    return fd


def close_own(fd: int) -> None:
    """Closes one of our fds (not through the program's os.close, which keeps them)."""
    OWN_FDS.discard(fd)
    try:
        os.close(fd)
    except OSError:
        pass


class RecordWriter:
    """Appends records to one file; each record is flushed by its own write()."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.fd = above_program_fds(
            os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC, 0o600))

    def write(self, record: Record | RawRecord) -> None:
        self._put(dumps(record) + "\n")  # json.dumps' text, without importing json

    def write_ascii(self, record: Record | RawRecord, key: str, text: str) -> None:
        """record with record[key] = text, a str needing no JSON escaping (base64): spliced
        into the line, not escaped (_json's escaping costs ~34 instructions a character)."""
        self._put(f'{dumps(record)[:-1]},"{key}":"{text}"}}\n')  # record: a non-empty dict

    def _put(self, line: str) -> None:
        try:
            os.write(self.fd, line.encode("utf-8", "replace"))
        except OSError:
            pass  # a closed fd (the program closed it) must never break the program

    def close(self) -> None:
        close_own(self.fd)


def as_lifecycle(record: RawRecord) -> Record | None:
    """A parsed line as its typed lifecycle Record, None for a sync or asyncio one: the one
    place a line read back becomes typed (narrow it by its "ev" to read its fields)."""
    return cast("Record", record) if record["ev"] in LIFECYCLE_KINDS else None


def lifecycle_records(records: Iterable[RawRecord]) -> list[Record]:
    """The lifecycle records of a session's (model/sources.py indexes them by pid)."""
    return [typed for record in records if (typed := as_lifecycle(record)) is not None]


def read_records(path: Path) -> Iterator[RawRecord]:
    """Yields the records of one file; a torn last line (killed mid-write) is skipped."""
    with open(path, "rb") as stream:
        yield from parse_lines(stream)


def read_session(directory: Path) -> list[RawRecord]:
    """All records of a session, in time order."""
    records: list[RawRecord] = []
    for path in sorted(directory.glob("life-*.jsonl")):
        records.extend(read_records(path))
    records.extend(read_segments(directory))  # the sync records (model/segments.py)
    records.sort(key=lambda r: (int(r.get("ts", 0)), str(r.get("ev"))))
    return records
