"""Objects shared across processes (multiprocessing locks, queues, Manager proxies).

Their records carry "shared", an identity every process computes alike (a semaphore's
name, a fork-context lock's creator pid and handle, a Manager token). A wait in one
process is ended by a signal in any process of the same identity; "sync_object"
records (from the creator) give a label to waits that could not know where the object
was made ("mp.Lock@?" in a spawn child), a kind (the wait semaphore of an Event) and,
for a Manager object, the server's pid. Manager Lock proxies write every acquire
("acquired") and release: the holder at a wait's start is the last acquirer.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from typing import Any, Protocol

from concurtrace.model.records import RawRecord

SHARED_LOCK_KINDS = ("mp.Lock", "mp.RLock", "Manager Lock", "Manager RLock")
SHARED_ENDED_BY = {
    "mp.Lock": "release", "mp.RLock": "release", "mp.Semaphore": "release",
    "mp.BoundedSemaphore": "release", "mp.Condition": "release", "mp.Event": "release",
    "mp.Barrier": "release", "mp.JoinableQueue.join": "release",
    "mp.Queue.put": "release", "mp.JoinableQueue.put": "release",
    "mp.Queue.get": "put", "mp.JoinableQueue.get": "put", "mp.SimpleQueue.get": "put",
    "Manager Lock": "release", "Manager RLock": "release",
    "mp.Pipe.recv": "send", "mp.Pipe.poll": "send", "mp.AsyncResult": "complete",
    "mp.Listener.accept": "connect", "mp.Client": "accept"}
# A message (a connect) ends the first receive (accept) waiting when it is sent (a lock's
# wait is ended by the last release before it resumes); a wait that ended at EOF by the
# close of the other end.
FIRST_SIGNAL_OPS = ("send", "connect")
OUTCOME_OPS = {"eof": "close"}
# A Pool result's wait: the worker process that computed it, else the pool's result
# handler thread that handed it over (a ThreadPool's results, an untraced worker's).
FALLBACK_OPS = {"mp.AsyncResult": "handled"}


class SharedWait(Protocol):
    pid: int
    tid: int
    kind: str
    label: str
    start: int
    end: int | None
    outcome: str | None
    holder: int | None
    holder_pid: int | None
    holder_since: int | None
    releaser: int | None
    releaser_pid: int | None
    released_ns: int | None
    released_op: str | None
    shared: str | None
    server_pid: int | None


class Objects:
    """What creators said of their shared objects: identity -> the sync_object record."""

    def __init__(self) -> None:
        self.known: dict[str, RawRecord] = {}
        self.signals: dict[str, list[RawRecord]] = {}
        self.server_keys: dict[str, int] = {}  # a Manager object's identity in its server

    def add(self, record: RawRecord) -> None:
        if record["ev"] == "sync_object" and isinstance(record.get("server_key"), int):
            self.server_keys[str(record.get("shared"))] = int(record["server_key"])
        elif record["ev"] == "sync_object":
            self.known[str(record.get("shared"))] = record
        else:
            self.signals.setdefault(str(record["shared"]), []).append(record)


def relabel(wait: SharedWait, objects: Objects) -> bool:
    """The creator's label and kind; False for multiprocessing's internal semaphores."""
    known = objects.known.get(wait.shared or "")
    if known is None:
        return True
    kind = str(known.get("kind") or wait.kind)
    if kind == "internal":
        return False
    label = str(known.get("label") or "")
    head, paren, name = wait.label.partition(" (")
    if label and head.endswith("@?"):
        wait.label = label + (f" ({name}" if paren else "")
    if kind != wait.kind and not wait.kind.endswith((".get", ".put", ".recv", ".poll", FLUSH)):
        wait.kind = kind
    server = known.get("server_pid")
    wait.server_pid = int(server) if isinstance(server, int) else None
    return True


class JoinWait(Protocol):
    kind: str
    start: int
    end: int | None
    outcome: str | None
    target_pid: int | None
    releaser: int | None
    releaser_pid: int | None
    released_ns: int | None
    released_op: str | None


PROCESS_JOINS = ("mp.Process.join", "mp.Process.exit_join")
FLUSH = ".flush"  # a Queue's feeder thread writing a put into the full pipe (hooks_sync_mp_feeder)


def waiting_text(wait: SharedWait) -> str:
    """"waiting for <label>", "... for a reader of <queue>", "... for <process> to end"."""
    if wait.kind.endswith(FLUSH):
        return f"waiting for a reader of {wait.label}"
    if wait.kind in PROCESS_JOINS or wait.kind == "Thread":
        return f"waiting for {wait.label} to end"
    return f"waiting for {wait.label}"


class ProcessEnds:
    """A Process.join is ended by its child's exit: the child's finalize record (its last
    exit hook, the thread that ran it; the trace's save comes after it, inside the wait),
    else the child's main thread with no time (killed: nothing written)."""

    def __init__(self) -> None:
        self.finalized: dict[int, tuple[int, int]] = {}  # pid -> (ts, tid)
        self.main: dict[int, int] = {}

    def note(self, record: RawRecord) -> None:
        pid = int(record["pid"])
        if record["ev"] == "hello":
            self.main[pid] = int(record.get("main_tid") or pid)
        elif record.get("tid") is not None:
            self.finalized[pid] = (int(record["ts"]), int(record["tid"]))

    def attribute(self, waits: Sequence[JoinWait]) -> None:
        for wait in waits:
            if wait.kind not in PROCESS_JOINS or wait.outcome != "exited" \
                    or wait.target_pid is None:
                continue
            wait.releaser_pid, wait.released_op = wait.target_pid, "exit"
            ended = self.finalized.get(wait.target_pid)
            if ended is not None and wait.end is not None and ended[0] <= wait.end:
                wait.released_ns, wait.releaser = max(ended[0], wait.start), ended[1]
            else:
                wait.releaser = self.main.get(wait.target_pid, wait.target_pid)


SERVER_SIDE = " (in the server)"  # the proxy's label on the server's own waits: its finding
# is the proxies' one (sync_mp_analysis)


class Labelled(Protocol):
    pid: int
    obj: int
    label: str


def label_server_side(items: Sequence[Labelled], objects: Objects) -> None:
    """A Manager's server waits on the real object (a threading.Lock in SyncManager-1),
    whose identity number the server wrote with the token: its waits and holds get the
    proxy's label."""
    served: dict[tuple[int, int], str] = {}
    for shared, known in objects.known.items():
        server, label = known.get("server_pid"), known.get("label")
        if shared.startswith("mgr:") and isinstance(server, int) and label:
            key = objects.server_keys.get(shared)
            try:  # older traces: the waits carried id(), the token's id
                key = int(shared.rsplit(":", 1)[1], 16) if key is None else key
            except ValueError:
                continue
            served[(server, key)] = label + SERVER_SIDE
    for item in items:
        label = served.get((item.pid, item.obj))
        if label is not None:
            item.label = label


def attribute_shared(waits: Sequence[SharedWait], objects: Objects) -> None:
    """Who ended each shared wait (any process), and a Manager lock's holder."""
    for wait in waits:
        if wait.shared is None:
            continue
        signals = objects.signals.get(wait.shared, [])
        if wait.kind.startswith("Manager ") and wait.kind in SHARED_LOCK_KINDS:
            _manager_holder(wait, signals)
        if wait.end is None or wait.outcome in ("timed_out", "interrupted", "raised"):
            continue
        op = OUTCOME_OPS.get(wait.outcome or "") or SHARED_ENDED_BY.get(wait.kind)
        _credit(wait, signals, op)
        if wait.releaser is None and wait.kind in FALLBACK_OPS:
            _credit(wait, signals, FALLBACK_OPS[wait.kind])


def _credit(wait: SharedWait, signals: list[RawRecord], op: str | None) -> None:
    """The signal op that ended the wait: the first one in it (a message), else the last."""
    if op is None or wait.end is None:
        return
    times = [int(s["ts"]) for s in signals]
    last = bisect.bisect_right(times, wait.end) - 1
    first = bisect.bisect_left(times, wait.start)
    for index in range(first, last + 1) if op in FIRST_SIGNAL_OPS else \
            range(last, first - 1, -1):
        signal = signals[index]
        if signal.get("op") == op and (int(signal["pid"]), int(signal["tid"])) != \
                (wait.pid, wait.tid):
            wait.releaser, wait.releaser_pid = int(signal["tid"]), int(signal["pid"])
            wait.released_ns, wait.released_op = times[index], op
            return


def _manager_holder(wait: SharedWait, signals: list[RawRecord]) -> None:
    """The first other thread's hold that overlaps the wait. A client sees its acquire
    end a round trip after the server granted it, so a hold that began "just after" the
    wait's start may have been granted before it: the first overlapping hold is the one."""
    holds: list[tuple[int, int, int, int]] = []  # (acquired, released, pid, tid)
    open_at: dict[tuple[int, int], int] = {}
    for signal in signals:
        who, ts = (int(signal["pid"]), int(signal["tid"])), int(signal["ts"])
        if signal.get("op") == "acquired":
            open_at[who] = ts
        elif signal.get("op") == "release" and who in open_at:
            holds.append((open_at.pop(who), ts, *who))
    holds.extend((since, 1 << 62, *who) for who, since in open_at.items())
    end = wait.end if wait.end is not None else 1 << 62
    for acquired, released, pid, tid in sorted(holds):
        if (pid, tid) != (wait.pid, wait.tid) and acquired < end and released > wait.start:
            wait.holder_pid, wait.holder, wait.holder_since = pid, tid, acquired
            return


def shared_holds(waits: Sequence[SharedWait], objects: Objects) -> list[dict[str, Any]]:
    """Contended holds of shared locks: (pid, tid, shared, kind, label, start, end), from
    the release signals that carry their hold's start, and the holds still open at the
    end (the holder a still-open wait names)."""
    kinds = {w.shared: (w.kind, w.label) for w in waits if w.shared is not None}
    out: list[dict[str, Any]] = []
    seen: set[tuple[int, int, int]] = set()
    for shared, signals in objects.signals.items():
        kind, label = kinds.get(shared, ("", ""))
        if kind not in SHARED_LOCK_KINDS:
            continue
        acquired: dict[tuple[int, int], int] = {}
        for signal in signals:
            who = (int(signal["pid"]), int(signal["tid"]))
            since = signal.get("since")
            if signal.get("op") == "acquired":
                acquired[who] = int(signal["ts"])
            elif signal.get("op") == "release" and (since or who in acquired):
                start = int(since) if since else acquired.pop(who)
                if any(w.shared == shared and w.start < int(signal["ts"])
                       and (w.end is None or w.end > start) and (w.pid, w.tid) != who
                       for w in waits):
                    seen.add((*who, start))
                    out.append({"pid": who[0], "tid": who[1], "shared": shared, "kind": kind,
                                "label": label, "start": start, "end": int(signal["ts"])})
    for wait in waits:
        if wait.end is None and wait.kind in SHARED_LOCK_KINDS and wait.holder_pid \
                and wait.holder and wait.holder_since \
                and (wait.holder_pid, wait.holder, wait.holder_since) not in seen:
            seen.add((wait.holder_pid, wait.holder, wait.holder_since))
            out.append({"pid": wait.holder_pid, "tid": wait.holder, "shared": wait.shared,
                        "kind": wait.kind, "label": wait.label, "start": wait.holder_since,
                        "end": None})
    return out
