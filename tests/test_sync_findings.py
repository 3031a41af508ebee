"""lock_held_while_blocking and queue_bottleneck, each on a Timeline built for it, with the
cases where there is no problem (no finding), and the summary's rows of unnamed objects."""

from __future__ import annotations

from concurtrace.model.analysis import analyse
from concurtrace.model.sync import Hold, SyncData, Wait
from concurtrace.model.sync_findings import lock_held_while_blocking, queue_bottleneck
from concurtrace.model.timeline import Process, StateRun, Thread, Timeline
from concurtrace.model.vocabulary import StateKey

MS = 10**6
S = 10**9
PID = 1
LOCK = "Lock@bank.py:12 (LOCK)"


def _timeline(threads: dict[int, tuple[str, list[tuple[int, int, StateKey]]]],
              sync: SyncData) -> Timeline:
    proc = Process(pid=PID, name="MainProcess", started_ns=0, ended_ns=2 * S, exit_code=0,
                   traced=True)
    for tid, (name, runs) in threads.items():
        proc.threads[tid] = Thread(pid=PID, tid=tid, name=name, started_ns=0,
                                   ended_ns=2 * S,
                                   states=[StateRun(ts, dur, state) for ts, dur, state in runs])
    return Timeline(root_pid=PID, processes={PID: proc}, sync=sync)


def _lock_wait(tid: int, start: int, end: int, holder: int = 10) -> Wait:
    return Wait(PID, tid, 7, "Lock", LOCK, start, end, "acquired", holder=holder,
                releaser=holder)


def _held_sleeping(sleep: StateKey = "sleep", waiters: int = 3) -> Timeline:
    """transfer (tid 10) holds LOCK 100-250 ms; 3 tellers wait for it 120-250 ms."""
    sync = SyncData(waits=[_lock_wait(20 + n, 120 * MS, 250 * MS) for n in range(waiters)],
                    holds=[Hold(PID, 10, 7, "Lock", LOCK, 100 * MS, 250 * MS, waiters)])
    threads: dict[int, tuple[str, list[tuple[int, int, StateKey]]]] = {
        10: ("transfer", [(0, 100 * MS, "running"), (100 * MS, 150 * MS, sleep),
                          (250 * MS, 1700 * MS, "sleep")])}
    for n in range(waiters):
        threads[20 + n] = (f"teller-{n}", [(120 * MS, 130 * MS, "lock")])
    return _timeline(threads, sync)


def test_lock_held_while_sleeping_names_the_holder_the_lock_and_the_waiters() -> None:
    timeline = _held_sleeping()
    proc = timeline.processes[PID]
    finding = lock_held_while_blocking(timeline, proc, proc.threads[10])
    assert finding is not None and finding.tid == 10
    assert finding.message == (
        f"Thread 'transfer' in MainProcess held {LOCK} for 150 ms mostly while sleeping, "
        "and 3 threads waited for it meanwhile (390 ms in all): teller-0, teller-1, teller-2.")
    assert "before taking the lock or after releasing it" in finding.advice
    analyse(timeline)  # the tellers waited 7% of their lives: no lock_contention, this one
    assert [f.kind for f in timeline.findings] == ["lock_held_while_blocking"]


def test_lock_held_during_io_says_io() -> None:
    timeline = _held_sleeping("io", waiters=1)
    proc = timeline.processes[PID]
    finding = lock_held_while_blocking(timeline, proc, proc.threads[10])
    assert finding is not None
    assert "mostly while in I/O, and 1 thread waited for it meanwhile" in finding.message


def test_no_finding_for_a_holder_that_computes_or_nobody_waiting() -> None:
    timeline = _held_sleeping("running")
    proc = timeline.processes[PID]
    assert lock_held_while_blocking(timeline, proc, proc.threads[10]) is None
    quiet = _held_sleeping()
    quiet.sync.waits = []  # held while sleeping, but nobody wanted it
    assert lock_held_while_blocking(quiet, quiet.processes[PID],
                                    quiet.processes[PID].threads[10]) is None
    analyse(timeline)
    assert timeline.findings == []


def test_a_lock_with_lock_contention_gets_that_finding_only() -> None:
    """The same sleeping holder, but the tellers waited most of their lives."""
    timeline = _held_sleeping()
    for thread in timeline.processes[PID].threads.values():
        if thread.name.startswith("teller-"):
            thread.ended_ns = 200 * MS  # 130 ms of wait in a 200 ms life
    analyse(timeline)
    assert sorted(f.kind for f in timeline.findings) == ["lock_contention"]


QUEUE = "Queue@pipeline.py:33 (RAW)"


def _pipeline(put_ms: int) -> Timeline:
    """reader (tid 10) blocked in put() on RAW for put_ms in 10 waits; parser (11) ends
    each by its get and sleeps meanwhile."""
    each = put_ms * MS // 10
    waits = [Wait(PID, 10, 5, "Queue.put", QUEUE, n * 100 * MS, n * 100 * MS + each,
                  "put_item", releaser=11) for n in range(10)]
    return _timeline({10: ("reader", []), 11: ("parser", [(0, 2 * S, "sleep")]),
                      12: ("writer", [])}, SyncData(waits=waits))


def test_queue_bottleneck_names_the_producer_the_queue_and_its_consumer() -> None:
    timeline = _pipeline(800)
    proc = timeline.processes[PID]
    finding = queue_bottleneck(timeline, proc, proc.threads[10])
    assert finding is not None and finding.tid == 10
    assert finding.message == (
        f"Thread 'reader' in MainProcess spent 40% of its 2.00 s blocked in put() on the "
        f"full {QUEUE}: its consumer parser takes items out slower than they come "
        "(mostly sleeping meanwhile).")
    assert "more consumers" in finding.advice
    assert queue_bottleneck(timeline, proc, proc.threads[11]) is None  # not a producer
    analyse(timeline)
    assert [f.kind for f in timeline.findings] == ["queue_bottleneck"]


def test_no_queue_bottleneck_for_short_put_waits() -> None:
    timeline = _pipeline(200)  # 10% of its life: the queue absorbs bursts, no bottleneck
    analyse(timeline)
    assert timeline.findings == []


def test_unnamed_objects_are_one_row_that_counts_them() -> None:
    """Three different locks made inside the standard library ("Lock@?"), the first two
    with one id() reused: one row, three instances; a named lock is its own row."""
    waits = [Wait(PID, 20, obj, "Lock", "Lock@?", n * 100 * MS, n * 100 * MS + 50 * MS,
                  "acquired") for n, obj in enumerate((1, 2, 3))]
    waits.append(Wait(PID, 20, 4, "Lock", LOCK, 500 * MS, 520 * MS, "acquired"))
    timeline = _timeline({20: ("worker", [])}, SyncData(waits=waits))
    analyse(timeline)
    rows = {row["label"]: row for row in timeline.sync_summary["objects"]}
    assert rows["Lock@?"]["instances"] == 3 and rows["Lock@?"]["waits"] == 3
    assert rows["Lock@?"]["unnamed"] is True
    assert rows[LOCK]["instances"] == 1 and rows[LOCK]["unnamed"] is None
    assert rows["Lock@?"]["outcomes"] == {"acquired": 3}


def test_what_short_holders_did_is_not_read_from_the_samples() -> None:
    """Holds of 20 us sit inside one sampled state run ("waiting for lock", the holder's
    own wait just before): the row said the holders were "mostly waiting for lock" (a
    CPython test_queue run). Holds shorter than the samples can tell say nothing; long
    ones still do."""
    from concurtrace.model.sync_analysis import _objects

    short = [Hold(PID, 10, 7, "Lock", LOCK, t * MS, t * MS + 20_000, 1) for t in range(1, 100)]
    waits = [_lock_wait(20, t * MS + 5_000, t * MS + 20_000) for t in range(1, 100)]
    threads: dict[int, tuple[str, list[tuple[int, int, StateKey]]]] = {
        10: ("worker-a", [(0, 2 * S, "lock")]), 20: ("worker-b", [(0, 2 * S, "lock")])}
    timeline = _timeline(threads, SyncData(waits=waits, holds=short))
    rows = _objects(timeline, {(PID, t.tid): t for t in timeline.processes[PID].threads.values()})
    assert [r["holder_state"] for r in rows] == [None]
    long_timeline = _held_sleeping()
    rows = _objects(long_timeline, {(PID, t.tid): t
                                    for t in long_timeline.processes[PID].threads.values()})
    assert [r["holder_state"] for r in rows] == ["sleeping"]
