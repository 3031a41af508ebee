"""Lifecycle records: the line format every traced process appends to its own file.

Each record is one JSON object on one line, written with a single os.write() on
an O_APPEND fd, so it reaches the kernel at once: a process that dies by SIGKILL
or os._exit still leaves every record written before that moment.

Record kinds ("ev"), all with "ts" (monotonic ns) and "pid" (the writer):
  hello            a traced process started: ppid, argv, exe, python, gil, origin,
                   thread_name (its main thread's: a fork child's is the forking thread's)
  role             a multiprocessing child learned its name/daemon flag (and target)
  process_start    the writer started a child: child, name, daemon, method, tid, cmdline
  terminate        the writer sent a signal (terminate(), kill(), os.kill): child, how, reason,
                   signum, tid
  reaped           the writer observed a child's exit status: child, status (raw wait status)
  join             a join()/wait() returned with the child ended: child, tid
  signal           the writer received a fatal signal: signum
  exception        sys.excepthook ran: exc_type, caller ("interpreter": uncaught in the main
                   thread; "program": the program's own call for an error it handled)
  exit_call        sys.exit / os._exit called: how, code
  thread_start     a thread started: tid (native), by_tid, name, daemon, start_ts
  thread_exit      a thread ended: tid, name, exc_type (None for a normal end)
  thread_abandoned a thread still alive when the process finalized (exit, fatal signal,
                   os._exit): tid, name, daemon, stack; finalize's reason tells which
  finalize         the interpreter reached its last exit hook (trace saved after it)
  trace_saved      the function trace file was written: path, events
  subinterpreter   sitecustomize ran in a sub-interpreter of pid, which runs untraced
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

Record = dict[str, Any]


class RecordWriter:
    """Appends records to one file; each record is flushed by its own write()."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC, 0o600)

    def write(self, record: Record) -> None:
        line = json.dumps(record, separators=(",", ":"), default=str) + "\n"
        try:
            os.write(self.fd, line.encode("utf-8", "replace"))
        except OSError:
            pass  # a closed fd (the program closed it) must never break the program

    def close(self) -> None:
        try:
            os.close(self.fd)
        except OSError:
            pass


def read_records(path: Path) -> Iterator[Record]:
    """Yields the records of one file; a torn last line (killed mid-write) is skipped."""
    with open(path, "rb") as stream:
        for raw in stream:
            try:
                record = json.loads(raw)
            except ValueError:
                continue
            if isinstance(record, dict) and "ev" in record:
                yield record


def read_session(directory: Path) -> list[Record]:
    """All records of a session, in time order."""
    records: list[Record] = []
    for path in sorted(directory.glob("life-*.jsonl")):
        records.extend(read_records(path))
    records.sort(key=lambda r: (int(r.get("ts", 0)), str(r.get("ev"))))
    return records
