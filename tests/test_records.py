"""What a real run writes matches the record types of model/records.py, key for key."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, get_args, get_type_hints

from traced import SCRIPTS, concurtrace

from concurtrace.model.record_types import RECORD_TYPES
from concurtrace.model.records import LIFECYCLE_KINDS, read_session

# model/sync.py's
SYNC_KINDS = {"wait_begin", "wait_end", "sync_signal", "sync_object", "exit_wait", "lock_counts"}


def _keys(kind: type[Any]) -> tuple[frozenset[str], frozenset[str]]:
    return frozenset(kind.__required_keys__), frozenset(kind.__optional_keys__)


def test_the_readers_know_every_record_type() -> None:
    # model/sources.py types a line read back as a Record only when its "ev" is one of these
    assert {get_args(get_type_hints(kind)["ev"])[0] for kind in RECORD_TYPES} == LIFECYCLE_KINDS


def test_every_record_written_is_of_its_declared_type(tmp_path: Path) -> None:
    done = concurtrace("run", "--keep-temp", "-q", "-o", str(tmp_path / "t.pftrace"),
                       str(SCRIPTS / "every_record.py"), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    kept = re.search(r"session directory kept in (\S+)", done.stderr)
    assert kept, done.stderr
    types = {get_args(get_type_hints(kind)["ev"])[0]: kind for kind in RECORD_TYPES}
    seen: set[str] = set()
    for record in read_session(Path(kept.group(1))):
        if record["ev"] in SYNC_KINDS:
            continue
        assert record["ev"] in types, record
        required, optional = _keys(types[record["ev"]])
        assert required <= set(record), (record, required - set(record))
        assert set(record) <= required | optional, (record, set(record) - required - optional)
        seen.add(record["ev"])
    assert seen >= set(types) - {"signal", "trace_error", "subinterpreter", "trace_stopped"}, \
        set(types) - seen
