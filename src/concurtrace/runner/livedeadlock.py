"""Parent side: the live deadlock detector. It runs in concurtrace, never in the program.

Every POLL_S while some wait is old enough to matter (else once the oldest is, at most
after_s later: next_delay) it reads what the tree wrote since (the new lines of each
life-*.jsonl, the new tail of each sync segment's chunks) and keeps each thread's latest
sync record: a "wait_begin" is a thread still waiting. When every known thread of a
process has waited longer than after_s, or two of its threads have waited that long in
lock acquires or joins, it reads the whole session, builds the wait-for graph
(model/deadlock.py) and reports each new cycle whose waits all began more than after_s
ago and that nothing outside it can break:
- every thread of its process(es) waits: none is left to release a plain Lock (any
  thread may release one), to put, set or notify; or
- its edges are RLock acquires and joins only: only an RLock's owner releases it, and
  only its end ends a join.
A cycle is reported once (on_deadlock), with the same lines as the end-of-run printout.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from concurtrace.model.deadlock import (
    CycleKey,
    Deadlock,
    KnownThreads,
    cycle_key,
    find_deadlocks,
)
from concurtrace.model.records import read_session
from concurtrace.model.segments import SYNC_EVENTS, SegmentReader
from concurtrace.model.sync import LOCK_KINDS, build_sync

if TYPE_CHECKING:
    from concurtrace.model.stall import Stall

POLL_S = 0.25
OWNER_ONLY = ("RLock", "Thread")  # waits only the thread waited for can end
EDGE_KINDS = (*LOCK_KINDS, "Thread")
Found = Callable[[Deadlock, list[dict[str, Any]]], None]
Stalled = Callable[["Stall", list[dict[str, Any]]], None]


class _Tail:
    """The complete lines appended to one life-*.jsonl since the last read."""

    def __init__(self, path: Path) -> None:
        self.path, self.offset = path, 0

    def read(self) -> list[bytes]:
        try:
            if os.stat(self.path).st_size <= self.offset:
                return []  # nothing new (one stat, not an open, seek, read and close)
            with open(self.path, "rb") as stream:
                stream.seek(self.offset)
                data = stream.read()
        except OSError:
            return []
        end = data.rfind(b"\n")
        if end < 0:
            return []
        self.offset += end + 1
        return data[:end].split(b"\n")


class LiveDetector:
    def __init__(self, directory: Path, after_s: float, threshold_ns: int,
                 on_deadlock: Found, on_stall: Stalled | None = None) -> None:
        self.directory, self.after_ns = directory, int(after_s * 1e9)
        self.threshold_ns, self.on_deadlock = threshold_ns, on_deadlock
        self.on_stall = on_stall
        self.stalled: dict[int, frozenset[tuple[int, int]]] = {}  # pid -> the stall reported
        self.reported: dict[CycleKey, int] = {}  # cycle -> when it was reported
        self._tails: dict[str, _Tail] = {}  # by file name
        self._segments: dict[str, SegmentReader] = {}
        self._threads = KnownThreads()  # live pid -> its known live threads
        self._ended: set[int] = set()
        self._latest: dict[tuple[int, int], tuple[int, str, str]] = {}  # (ts, ev, kind)
        self._signature: frozenset[Any] = frozenset()
        self._next_build = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="concurtrace-deadlocks",
                                        daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()

    def _loop(self) -> None:
        delay = POLL_S
        while not self._stop.wait(delay):
            try:
                self.poll()
            except Exception:  # noqa: BLE001 - a detector error must never end the run
                pass
            delay = self.next_delay(time.monotonic_ns())

    def next_delay(self, now: int) -> float:
        """Seconds until a poll could find something: POLL_S while a wait it knows of is (or
        within POLL_S will be) after_s old; otherwise until the oldest known wait becomes
        that old, at most after_s: a wait that begins after this poll is after_s old no
        sooner than that. So an idle tree (a CPU-bound pool) is read once per after_s, not
        four times a second on the parent's CPU, and a deadlock is reported as soon."""
        oldest = min((got[0] for got in self._latest.values() if got[1] == "wait_begin"),
                     default=now)
        due = (oldest + self.after_ns - now) / 1e9
        return max(POLL_S, min(due, self.after_ns / 1e9))

    def poll(self) -> None:
        self._read_new()
        now = time.monotonic_ns()
        cutoff = now - self.after_ns
        all_waiting: set[int] = set()
        long_waits: list[tuple[int, int, int]] = []
        for pid, tids in self._threads.alive.items():
            if pid in self._ended or not tids:
                continue
            mine = [(tid, self._latest.get((pid, tid))) for tid in tids]
            waiting = [(tid, got) for tid, got in mine
                       if got is not None and got[1] == "wait_begin" and got[0] <= cutoff]
            edges = [w for w in waiting if w[1][2] in EDGE_KINDS]
            if len(waiting) == len(tids):
                all_waiting.add(pid)
            if len(waiting) == len(tids) or len(edges) >= 2:
                long_waits.extend((pid, tid, got[0]) for tid, got in waiting)
        signature = frozenset([*long_waits, *all_waiting])
        if not long_waits or signature == self._signature or now < self._next_build:
            return
        self._signature = signature
        started = time.monotonic_ns()
        self._build(cutoff, all_waiting)
        # A long session costs a long read: never spend more than a fifth of the time on it.
        self._next_build = time.monotonic_ns() + max(int(1e9), 4 * (time.monotonic_ns()
                                                                    - started))

    def _build(self, cutoff: int, all_waiting: set[int]) -> None:
        records = read_session(self.directory)
        sync = build_sync(records, True, self.threshold_ns)
        cycles = find_deadlocks(sync)
        for deadlock in cycles:
            key = cycle_key(deadlock)
            if key in self.reported or any(w.start > cutoff for w in deadlock.waits):
                continue
            pids = {w.pid for w in deadlock.waits}
            if pids <= all_waiting or all(w.kind in OWNER_ONLY for w in deadlock.waits):
                self.reported[key] = time.monotonic_ns()
                self.on_deadlock(deadlock, records)
        if self.on_stall is None:
            return
        from concurtrace.model.stall import find_stalls  # the model: not at the CLI's start
        for stall in find_stalls(sync, frozenset(w.pid for d in cycles for w in d.waits)):
            stall_key = frozenset((w.tid, w.start) for w in stall.waits)
            # every thread the OS has in it is one the hooks saw blocked (none from C)
            if stall.pid in all_waiting and stall.since <= cutoff \
                    and stall_key != self.stalled.get(stall.pid) \
                    and _os_threads(stall.pid) == len(stall.waits):
                self.stalled[stall.pid] = stall_key
                self.on_stall(stall, records)

    def _read_new(self) -> None:
        # One listdir, names only (pathlib's glob and sorting of Paths were most of an idle
        # poll's ~0.3 ms, on the parent's CPU while the program runs).
        try:
            names = sorted(os.listdir(self.directory))
        except OSError:
            return
        for name in names:
            if name.startswith("life-") and name.endswith(".jsonl"):
                tail = self._tails.get(name)
                if tail is None:
                    tail = self._tails[name] = _Tail(self.directory / name)
                for line in tail.read():
                    self._life(line)
        for name in names:
            if not (name.startswith("sync-") and name.endswith(".seg")):  # SEGMENT_GLOB
                continue
            reader = self._segments.get(name)
            if reader is None:
                reader = self._segments[name] = SegmentReader(self.directory / name)
            for data in reader.poll_bytes():
                last = data.rfind(b"\n", 0, len(data) - 1)
                self._sync(data[last + 1:])  # a chunk is one thread's: its newest record

    def _life(self, line: bytes) -> None:
        record = _parse(line)
        if record is None:
            return
        ev, pid = record.get("ev"), int(record.get("pid") or 0)
        if ev in ("hello", "thread_start", "thread_exit"):
            self._threads.note(record)
        elif ev == "finalize":
            self._ended.add(pid)  # exiting: its threads end with it
        elif ev in SYNC_EVENTS:  # one that went to the fallback
            self._note(record)

    def _sync(self, line: bytes) -> None:
        record = _parse(line)
        if record is not None:
            self._note(record)

    def _note(self, record: dict[str, Any]) -> None:
        key = (int(record.get("pid") or 0), int(record.get("tid") or 0))
        ts = int(record.get("ts") or 0)
        seen = self._latest.get(key)
        ev = str(record.get("ev"))
        if ev == "exit_wait":  # the main thread waits in the shutdown, for good
            ev, record = "wait_begin", {"kind": "exit"}
        if seen is None or ts >= seen[0]:
            self._latest[key] = (ts, ev, str(record.get("kind", "")))


def _parse(line: bytes) -> dict[str, Any] | None:
    try:
        record = json.loads(line)
    except ValueError:
        return None
    return record if isinstance(record, dict) else None


def _os_threads(pid: int) -> int | None:
    try:
        return len(os.listdir(f"/proc/{pid}/task"))
    except OSError:  # gone, or no /proc: nothing proves that no other thread runs
        return None


def print_lines(lines: list[str]) -> None:
    for line in lines:
        os.write(2, f"{line}\n".encode("utf-8", "replace"))


def mark_live(sync_summary: dict[str, Any], reported: dict[CycleKey, int]) -> None:
    """Each deadlock of the summary says whether the live detector found it while the run
    went on ("live", with when) or only the end of the run did ("at_end")."""
    live = {(pid, frozenset(tid for _pid, tid, _start in key)): ts
            for key, ts in reported.items() for pid in {p for p, _tid, _start in key}}
    for entry in sync_summary.get("deadlocks") or []:
        tids = frozenset(int(step["tid"]) for step in entry.get("cycle", []))
        ts = live.get((int(entry["pid"]), tids))
        entry["detected"] = "live" if ts is not None else "at_end"
        if ts is not None:
            entry["detected_ns"] = ts
