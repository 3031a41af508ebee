"""Hold/wait overlaps by bisection (model/intervals.py): the same answers as comparing
every pair, and a lock storm's tens of thousands of holds cost a bisection each (the
pairwise pass took 24 s of post-run for 4 threads x 200k acquisitions)."""

from __future__ import annotations

import random
import time

from concurtrace.model.intervals import Disjoint
from concurtrace.model.sync import build_sync

PID = 7


def test_overlapping_matches_every_pair() -> None:
    rng = random.Random(5)
    for _ in range(200):
        items, ts = [], 0
        for index in range(rng.randrange(0, 12)):
            ts += rng.randrange(0, 5)
            dur = rng.randrange(0, 6)
            items.append((ts, ts + dur, index))
            ts += dur
        spans = Disjoint(items)
        for _ in range(20):
            start = rng.randrange(-3, ts + 3)
            end = start + rng.randrange(0, 10)
            want = [(min(end, e) - max(start, s), v) for s, e, v in items
                    if min(end, e) - max(start, s) > 0]
            assert list(spans.overlapping(start, end)) == want, (items, start, end)


def _storm(holds: int) -> list[dict[str, object]]:
    """4 threads take turns: each hold is released while one other thread waits."""
    records: list[dict[str, object]] = []
    for index in range(holds):
        start, holder = (index + 1) * 100, 1 + index % 4
        waiter = 1 + (index + 1) % 4
        if index % 100 == 0:  # a recorded wait now and then, as the threshold keeps few
            records += [{"ev": "wait_begin", "ts": start + 10, "pid": PID, "tid": waiter,
                         "obj": 1, "kind": "Lock", "label": "Lock@s.py:1", "holder": holder,
                         "holder_since": start},
                        {"ev": "wait_end", "ts": start + 100, "pid": PID, "tid": waiter,
                         "obj": 1, "outcome": "acquired"}]
        records.append({"ev": "sync_signal", "ts": start + 99, "pid": PID, "tid": holder,
                        "obj": 1, "op": "release", "since": start})
    return records


def test_waiters_per_hold_in_a_storm() -> None:
    records = _storm(120_000)
    began = time.process_time()
    data = build_sync(records, threshold_ns=0)
    took = time.process_time() - began
    assert len(data.holds) == 120_000 and len(data.waits) == 1200
    assert sum(1 for h in data.holds if h.waiters == 1) == 1200, \
        {h.waiters for h in data.holds}  # each recorded wait meets the hold it waited out
    assert took < 8, took  # pairwise: 120k holds x 1200 waits, about 30 s; now about 1 s
