"""What the asyncio hooks keep per process (hooks_asyncio_steps): task and loop numbers,
the step rows not yet written and how they are written ("asteps" records).

A step row is STEP_COLUMNS. The common row (not a task's first or last step, not slow)
is PACKED_COLUMNS, 8 ints packed by the step's hook at once (ROW: one C call, no tuple;
its bytes appended to a list a flush joins): little-endian, the start an int64 and the
others (the step's duration instead of its end) uint32s, in hex ("penc"; base64 before),
in the record's "packed", its per-row struct format in "pfmt" (0 for none in aw/at/awt);
converting and escaping ints in JSON was ~0.6 us of each step, and the bytes' encoding and
its JSON escaping cost in proportion to them (36 bytes a row, not 64: ~4k instructions
less per echo request). The hex text goes into the line unescaped (the recorder's
write_ascii: it needs no escaping, which cost ~34 instructions a character). The rarer
rows carry a dict of more facts and are written as JSON lists in "rows", as before. Both
kinds of one batch go out in one record.
"""

from __future__ import annotations

import _thread
import itertools
import struct
import threading
import weakref
from typing import Any

from concurtrace.runner import hooks_asyncio_names as names
from concurtrace.runner.hookset import Sink

_tid = threading.get_native_id
# aw and at: numbers of texts given in a batch's "names" (State.name_id)
STEP_COLUMNS = ("ts", "end", "tid", "loop", "task", "aw", "at", "awt")
WIDTH = len(STEP_COLUMNS)
PACKED_COLUMNS = ("ts", "dur", "tid", "loop", "task", "aw", "at", "awt")
PACKED_ROW = "qIIIIIII"  # a common step is shorter than DUR_MAX (the slow ones are rows)
DUR_MAX = 2**32 - 1
BATCH_ROWS, BATCH_NS = 64, 50_000_000  # steps go out in one record per 64 or per 50 ms
ROW = struct.Struct("<" + PACKED_ROW)  # bytes the same as one struct for a whole batch
_START = struct.Struct("<q")  # a packed row's start
# --light names what a task awaits (the cr_await walk, ~8k instructions) for WALKS steps
# per ms (hooks_asyncio_steps.CHECK_NS, when a loop iteration refills state.walks); the
# others' rows say UNNAMED: the first text each process numbers, a constant of the hot path
WALKS = 4
UNLIMITED = 2**62  # the default mode: every await named
UNNAMED = f"(not named: --light names {WALKS} awaits a ms)"
UNNAMED_ID = 1


class State:
    def __init__(self, sink: Sink, slow_ns: int) -> None:
        self.sink, self.slow_ns = sink, slow_ns
        # id(task) -> our number, dropped by a weakref callback when the task dies (a
        # plain dict: a WeakKeyDictionary lookup makes a weakref on every step)
        self.ids: dict[int, int] = {}
        self.refs: dict[int, weakref.ref[Any]] = {}
        self._task_numbers = itertools.count(1)  # tasks and loops
        self.failed: weakref.WeakValueDictionary[int, Any] = weakref.WeakValueDictionary()
        # id(task) -> number of each failed task: a cycle's collection clears the weak
        # entries before "never retrieved" is logged from the task's finalizer
        self.failed_ids: dict[int, int] = {}
        self.unnamed: set[int] = set()  # create_task's caller may name it after it returns
        self.loops: dict[int, list[int]] = {}  # loop number -> [last sample ts, max lag ns]
        self.on = True
        self.next_sample = 0  # the first callback at or after it looks at its loop's counters
        self.tids = _thread._local()  # get_native_id() is a system call: once per thread
        self.flat: list[bytes] = []  # the common rows, ROW-packed
        self.batch: list[list[Any]] = []  # the rarer rows: a list, then a dict
        # what tasks await and where: each text numbered once per process, its number in
        # the rows, the text in the batch that first uses it
        self.names: dict[str, int] = {}
        self.new_names: dict[int, str] = {}
        self._numbers = itertools.count(1)  # next() is atomic: two threads, two numbers
        # (id(code), f_lasti) of a program's await -> its "file:line" text's number (the
        # code is held in hooks_asyncio_names' cache, so its id is not reused meanwhile)
        self.wheres: dict[tuple[int, int], int] = {}
        # id(future) -> the future run_in_executor returned: its awaits are named after it
        self.executor_futures: weakref.WeakValueDictionary[int, Any] = \
            weakref.WeakValueDictionary()
        # awaits still to name until the next refill (--light: WALKS a ms)
        self.walks = self.walks_per_ms = UNLIMITED
        self.name_id(UNNAMED)  # UNNAMED_ID

    def name_id(self, text: str) -> int:
        number = self.names.get(text)
        if number is None:
            number = self.names[text] = next(self._numbers)
            self.new_names[number] = text
        return number

    def where_id(self, frame: Any) -> int:
        """The number of the text "file:line" of a suspended frame of the program's."""
        code = frame.f_code
        key = (id(code), frame.f_lasti)
        number = self.wheres.get(key)
        if number is None:
            if len(self.wheres) >= names.CODE_CACHE_MAX:
                self.wheres.clear()
            number = self.wheres[key] = self.name_id(f"{code.co_filename}:{frame.f_lineno}")
        return number

    def thread_id(self) -> int:
        try:
            tid: int = self.tids.tid
        except AttributeError:
            tid = self.tids.tid = _tid()
        return tid

    def emit_flat(self, start: int, row: tuple[int, ...]) -> None:
        """A common row: PACKED_COLUMNS, WIDTH ints, none None."""
        try:
            packed = ROW.pack(*row)
        except struct.error:  # out of a column's range: a JSON row rather than none
            self.emit([row[0], row[0] + row[1], *row[2:5], *(value or None for value
                                                             in row[5:])])
            return
        flat = self.flat
        if flat and (len(flat) >= BATCH_ROWS or start - first_start(flat) >= BATCH_NS):
            self.flush()
        self.flat.append(packed)  # one C call: a row of another thread's flush not lost

    def emit(self, row: list[Any]) -> None:
        """A rarer row (it may end in a dict)."""
        batch = self.batch
        batch.append(row)
        if len(batch) >= BATCH_ROWS or row[0] - batch[0][0] >= BATCH_NS:
            self.flush()

    def forked(self) -> None:
        self.flat, self.batch = [], []
        self.names, self.new_names, self.wheres = {}, {}, {}
        self._numbers = itertools.count(1)
        self.name_id(UNNAMED)  # UNNAMED_ID
        self.tids = _thread._local()  # this thread's tid is new
        self.loops.clear()

    def flush(self) -> None:
        flat, self.flat = self.flat, []
        rows, self.batch = self.batch, []
        if not flat and not rows:
            return
        first = min(first_start(flat) if flat else rows[0][0],
                    rows[0][0] if rows else first_start(flat))
        record: dict[str, Any] = {"ev": "asteps", "ts": first, "cols": STEP_COLUMNS,
                                  "rows": rows}
        if self.new_names:
            record["names"], self.new_names = self.new_names, {}
        if not flat:
            self.sink.write(record)
            return
        record["pcols"], record["pfmt"], record["penc"] = PACKED_COLUMNS, PACKED_ROW, "hex"
        write_ascii = getattr(self.sink, "write_ascii", None)  # the recorder's: hex is
        if write_ascii is None:  # JSON as it is, not escaped (~3.5k instructions a request)
            record["packed"] = pack(flat)
            self.sink.write(record)
        else:
            write_ascii(record, "packed", pack(flat))

    def task_id(self, task: Any) -> tuple[int, bool]:
        """(our number for the task, or loop, first time seen)."""
        key = id(task)
        number = self.ids.get(key)
        if number is not None:
            return number, False
        number = self.ids[key] = next(self._task_numbers)
        ids, refs = self.ids, self.refs

        def forget(_ref: Any, key: int = key) -> None:
            ids.pop(key, None)
            refs.pop(key, None)

        try:
            refs[key] = weakref.ref(task, forget)
        except TypeError:  # a task type of the program's without weakref support
            pass
        return number, True


def pack(flat: list[bytes]) -> str:
    """The rows' bytes as hex ("penc"): ~14 instructions a byte against base64's ~17 and
    its ascii decode (the text is 1.5x base64's, written as it is: write_ascii)."""
    return b"".join(flat).hex()


def first_start(flat: list[bytes]) -> int:
    """The start of a batch's first packed row."""
    start: int = _START.unpack_from(flat[0])[0]
    return start
