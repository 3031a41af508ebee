"""The gallery's sync EXPECT keys catch what they claim to (on hand-made rows)."""

from __future__ import annotations

from typing import Any

import pytest
from gallery_expect import ExpectError, validate_expect
from gallery_sync_expect import check_sync, check_sync_slices

ROW = {"label": "Barrier@b.py:4 (PHASE)", "waits": 6, "instances": 1,
       "waiters": ["worker-0", "worker-1"], "outcomes": {"passed": 6},
       "ended_by": [{"thread": "worker-2", "waits": 6}]}
SUMMARY = {"sync": {"objects": [ROW]}}


def test_sync_facts_pass_and_fail() -> None:
    good = {"sync": [{"label_regex": r"Barrier@b\.py:\d+ \(PHASE\)", "min_waits": 6,
                      "min_waiters": 2, "outcomes": ["passed"], "ended_by_prefix": "worker-2"}]}
    assert check_sync(good, SUMMARY) == []
    for wrong in ({"min_waits": 7}, {"min_instances": 2}, {"min_waiters": 3},
                  {"outcomes": ["broken"]}, {"ended_by_prefix": "worker-1"},
                  {"label_regex": "Lock@.*"}):
        entry = {**good["sync"][0], **wrong}
        assert len(check_sync({"sync": [entry]}, SUMMARY)) == 1, wrong


def test_sync_slices_pass_and_fail() -> None:
    rows: list[dict[str, Any]] = [
        {"track": "worker-0 sync", "name": "waiting at Barrier@b.py:4 (PHASE) for 3 threads",
         "releaser": "worker-2", "outcome": "passed", "src": "arrived last at Barrier@b.py:4"}]
    entry = {"track_regex": "worker-0 sync", "name_regex": "waiting at Barrier@.*",
             "outcome": "passed", "releaser_prefix": "worker-2", "min_count": 1}
    assert check_sync_slices({"sync_slices": [entry]}, lambda sql: rows) == []
    for wrong in ({"outcome": "broken"}, {"releaser_prefix": "worker-1"}, {"min_count": 2},
                  {"flow_src_regex": "released .*"}):
        assert check_sync_slices({"sync_slices": [{**entry, **wrong}]}, lambda sql: rows), wrong


def test_malformed_sync_entries_are_refused() -> None:
    with pytest.raises(ExpectError):
        validate_expect({"exit_code": 0, "sync": [{"min_waits": 1}]})
    with pytest.raises(ExpectError):
        validate_expect({"exit_code": 0, "sync_slices": [{"name_regex": "x", "bogus": 1}]})
