"""Waits inside objects composed of others (a queue on a Semaphore on a Condition on a
Lock): each is the wait of the object the program called, and a lock acquire inside an
object's own method is no contended-lock wait of its own unless another thread held the
lock for much of it (CPython's test_queue read '150 threads waited 68% of their lives
for Lock@test_queue.py:424 (self.q._count._cond._lock) ... each holder kept it 3 µs')."""

from __future__ import annotations

from typing import Any

from traced import SCRIPTS, trace_run

from concurtrace.model.sync import build_sync
from concurtrace.model.sync_inner import is_inner


def _line(text: str) -> int:
    lines = (SCRIPTS / "semaphore_queue.py").read_text().splitlines()
    return next(n for n, line in enumerate(lines, 1) if text in line)


def test_a_queue_on_a_semaphore_names_the_object_called(tmp_path: Any) -> None:
    run = trace_run(tmp_path / "t.pftrace", str(SCRIPTS / "semaphore_queue.py"),
                    options=("--light", "--quiet"), cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert run.stdout == "40\n40\n36000\n"
    summary = run.summary()
    rows = {o["label"]: o for o in summary["sync"]["objects"]}
    sem = _line("self._count = threading.Semaphore(0)")
    # the program's own queue: its consumers wait on its Semaphore, for the producer
    own = rows[f"Semaphore@semaphore_queue.py:{sem} (own._count)"]
    assert own["waits"] >= 20 and set(own["outcomes"]) == {"acquired"}, own
    assert [e["thread"] for e in own["ended_by"]] == ["MainThread"], own
    # queue's pure-Python SimpleQueue: the queue's get, not its Semaphore's acquire
    pure = rows[f"SimpleQueue@semaphore_queue.py:{_line('pure = queue._PySimpleQueue()')} (pure)"]
    assert pure["waits"] >= 20 and set(pure["outcomes"]) == {"got_item"}, pure
    assert [e["thread"] for e in pure["ended_by"]] == ["MainThread"], pure
    assert not [label for label in rows if "(pure._count" in label], list(rows)
    # The storm's acquires of the inner lock that passed the threshold are its Semaphore's,
    # in acquire() and release(); a lock wait stays the lock's only where other threads'
    # holds covered half of it (a holder that lost the GIL while holding: 13 ms seen on
    # 3.10), so such a row names its holders.
    sem_rows = [o for o in rows.values() if o["label"].endswith("(self._count)")]
    for row in sem_rows:
        assert row["inner_lock_waits"] == row["waits"], row
    locks = [o for o in rows.values() if o["kind"] == "Lock" and o["waits"]]
    assert all(o["holders"] for o in locks), locks
    for row in sem_rows:  # the lock's own row says where its waits went
        [lock] = [o for o in rows.values() if o["label"] == f"Lock@semaphore_queue.py:{sem} "
                  "(self._count._cond._lock)"]
        assert lock["credited_to"] == [{"label": row["label"], "waits": row["waits"]}], lock
    # a Semaphore made with value 0 is a signal, not a limit; its waits are no contention,
    # nor are the inner lock's hand-overs
    contention = [f for f in summary["findings"] if f["kind"] == "lock_contention"]
    assert not [f for f in contention if "Semaphore@" in f["message"]
                or "SimpleQueue@" in f["message"]], contention


def _records(hold_ns: int) -> list[dict[str, Any]]:
    """Thread 2 waits 10 ms for a Semaphore's inner lock (obj 5) inside sem.release()
    (obj 9); thread 3 held the lock for hold_ns of it."""
    return [
        {"ev": "wait_begin", "ts": 1_000_000, "pid": 1, "tid": 2, "obj": 5, "kind": "Lock",
         "label": "Lock@a.py:3 (q._count._cond._lock)", "holder": 3, "holder_since": 999_000,
         "outer": 9, "outer_kind": "Semaphore", "outer_call": "release",
         "outer_label": "Semaphore@a.py:3 (q._count)"},
        {"ev": "sync_signal", "ts": 999_000 + hold_ns, "pid": 1, "tid": 3, "obj": 5,
         "op": "release", "since": 999_000, "waiting": 1},
        {"ev": "wait_end", "ts": 11_000_000, "pid": 1, "tid": 2, "obj": 5,
         "outcome": "acquired"}]


def test_a_handed_on_inner_lock_is_the_outer_objects_wait() -> None:
    [wait] = build_sync(_records(hold_ns=3_000)).waits
    assert is_inner(wait.kind) and wait.kind == "Semaphore.release.lock", wait
    assert wait.label == "Semaphore@a.py:3 (q._count)" and wait.obj == 9, wait
    assert wait.inner_label == "Lock@a.py:3 (q._count._cond._lock)"
    assert wait.holder is None  # the last owner seen may not be the one holding it now


def test_an_inner_lock_held_long_by_another_thread_stays_a_lock_wait() -> None:
    [wait] = build_sync(_records(hold_ns=8_000_000)).waits
    assert wait.kind == "Lock" and wait.label == "Lock@a.py:3 (q._count._cond._lock)"
    assert wait.holder == 3 and wait.releaser == 3
