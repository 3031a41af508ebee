"""runner/vizscan.py reads exactly what msgspec and the merge read, or refuses the piece.

Pieces are written the way VizTracer's C dump prints plain calls (snaptrace.c), then
mutated byte by byte: whatever the scan accepts must be valid JSON that msgspec decodes
to the same calls; a real VizTracer dump merges to the same columns scanned or decoded.
"""

from __future__ import annotations

import os
import random
from pathlib import Path
from typing import Any

import pytest
from test_merge_pool import exported
from traced import concurtrace

from concurtrace.model.slice_merge import ColumnMerge
from concurtrace.model.traces import merge_calls
from concurtrace.runner import collect, collect_scan
from concurtrace.runner.vizdecode import EVENTS
from concurtrace.runner.vizscan import PAD, scan

NAMES = ["f (/work/a.py:6)", "g", "", "<module> (/x/y.py:1)", "héllo (/ü/中.py:3)",
         "exactly8", "seven77", "x" * 300, "a.b.c (/p/q.r/s.py:12)", "sum",
         "__init__ (/usr/lib/python3.11/site-packages/pkg/module_with_long_name.py:1234)"]


def _event(pid: int, tid: int, ts_ns: int, dur_ns: int, name: str) -> str:
    return (f'{{"pid":{pid},"tid":{tid},"ts":{ts_ns // 1000}.{ts_ns % 1000:03d},"ph":"X",'
            f'"cat":"fee","dur":{dur_ns // 1000}.{dur_ns % 1000:03d},"name":"{name}"}}')


def _piece(rng: random.Random, count: int) -> bytes:
    tids = rng.sample([7, 42, 4194303, 123456, 9], rng.randint(1, 3))
    names = rng.sample(NAMES, rng.randint(1, len(NAMES)))
    base = rng.choice([0, 999_999_500, 310_503_444_786, 10**15 - 5000, 2**52])
    pid = rng.choice([1, 5736, 4194304])
    events = [_event(pid, rng.choice(tids),
                     base + rng.randint(0, 10**6), rng.choice([0, 7, 140, 15_503, 10**12]),
                     rng.choice(names)) for _ in range(count)]
    return ",".join(events).encode()


def _reference(piece: bytes, stop_ns: int) -> dict[int, list[tuple[int, int, str]]] | None:
    """What the msgspec path merges of piece (None: it would not take it whole)."""
    merge = ColumnMerge(stop_ns)
    if not merge.whole_chunk(EVENTS.decode(b"[" + piece + b"]")):
        return None
    return _columns(merge)


def _columns(merge: ColumnMerge) -> dict[int, list[tuple[int, int, str]]]:
    return {tid: [(c.ts[i], c.dur[i], c.name(i)) for i in range(len(c))]
            for tid, c in merge.by_tid.items()}


def _scanned(piece: bytes, stop_ns: int) -> Any:
    padded = bytearray(b"{x" + piece + b"\xff" * PAD)  # anywhere in a buffer
    calls = scan(padded, 2, len(piece) + 2, lambda: EVENTS.decode(b"[" + piece + b"]"))
    if calls is None:
        return None
    assert sorted(set(calls.names)) == sorted(calls.names)  # each name once, whatever follows
    merge = ColumnMerge(stop_ns)
    if not merge.call_columns(calls):
        return "open"
    return _columns(merge)


def test_scanned_pieces_are_what_msgspec_decodes() -> None:
    rng = random.Random(18)
    for case in range(200):
        piece = _piece(rng, rng.randint(1, 400))
        want = _reference(piece, 1 << 64)
        got = _scanned(piece, 1 << 64)
        assert want is not None and got == want, case
        assert list(got) == list(want), case  # threads in the order they first appear
    piece = _piece(rng, 300)
    ends = sorted(ts + dur for row in _reference(piece, 1 << 64).values()  # type: ignore[union-attr]
                  for ts, dur, _ in row)
    for stop in (ends[-1] + 1001, ends[-1] + 1000, ends[len(ends) // 2]):  # around the bound
        want = _reference(piece, stop)
        assert _scanned(piece, stop) == ("open" if want is None else want), stop


@pytest.mark.parametrize("seed", range(4))
def test_mutated_pieces_are_refused_or_read_exactly(seed: int) -> None:
    rng = random.Random(seed)
    alphabet = b'0123456789.,:{}"\\Xa \x01\xc3\xff'
    accepted = 0
    for case in range(400):
        piece = bytearray(_piece(rng, rng.randint(1, 30)))
        for _ in range(rng.randint(1, 3)):
            at = rng.randrange(len(piece))
            what = rng.random()
            if what < 0.5:
                piece[at] = rng.choice(alphabet)
            elif what < 0.75:
                piece.insert(at, rng.choice(alphabet))
            else:
                del piece[at]
        got = _scanned(bytes(piece), 1 << 64)
        if got is None:
            continue
        accepted += 1  # a digit for a digit, a name byte for a name byte: still exact
        assert got == _reference(bytes(piece), 1 << 64), (case, bytes(piece)[:200])
    assert 0 < accepted < 400


def test_a_real_dump_merges_and_exports_the_same_scanned(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    script = tmp_path / "names.py"
    script.write_text(
        "import threading\n"
        "def héllo(n):\n    return n if n < 2 else héllo(n - 1) + 1\n"
        "class K:\n    def m(self):\n        return [héllo(5) for _ in range(3)]\n"
        "def work():\n    for _ in range(300):\n        K().m(); sum(range(3)); (lambda: 1)()\n"
        "threads = [threading.Thread(target=work) for _ in range(3)]\n"
        "[t.start() for t in threads]; work(); [t.join() for t in threads]\n")
    done = concurtrace("run", "--keep-temp", "-q", "-o", str(tmp_path / "t.pftrace"),
                       str(script), env=dict(os.environ, TMPDIR=str(tmp_path)))
    assert done.returncode == 0, done.stderr
    session = next(tmp_path.glob("concurtrace-*"))
    (dump,) = session.glob("trace-*.json")  # VizTracer's C dump, as every run writes it
    pid = int(dump.name.split("-")[1])
    monkeypatch.setattr(collect, "NUMPY_MIN_BYTES", 0)
    results = []
    for scan_bytes in (0, 4096, 1 << 20):  # decoded; scanned in small and large pieces
        monkeypatch.setattr(collect_scan, "SCAN_BYTES", scan_bytes or collect_scan.SCAN_BYTES)
        if not scan_bytes:
            monkeypatch.setattr(collect.TraceFiles, "_scanner", lambda self: None)
        files = collect.TraceFiles(pid, [dump], [])
        kinds = {type(chunk).__name__ for chunk in files}
        merged = merge_calls(pid, files, None)
        calls = {tid: (list(c.ts), list(c.dur), [c.name(i) for i in range(len(c))])
                 for tid, c in merged.by_tid.items()}
        results.append((calls, merged.names, kinds, exported(session, pooled=False)))
        monkeypatch.undo()
        monkeypatch.setattr(collect, "NUMPY_MIN_BYTES", 0)
    decoded, small, large = results
    assert "ScannedCalls" not in decoded[2] and "ScannedCalls" in small[2] & large[2]
    assert len(decoded[0]) == 4 and sum(len(v[0]) for v in decoded[0].values()) > 20000
    assert any("héllo" in name for name in decoded[0][pid][2])
    assert small[:2] == decoded[:2] and large[:2] == decoded[:2]
    assert small[3] == decoded[3] and large[3] == decoded[3]  # the same trace bytes


def test_a_scanned_pieces_events_are_read_before_the_next_piece(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rng = random.Random(5)
    dump = tmp_path / "trace-5736-1.json"
    dump.write_bytes(b'{"traceEvents":[' + b",".join(_piece(rng, 200) for _ in range(20))
                     + b'], "viztracer_metadata": {"overflow":false}}')
    monkeypatch.setattr(collect, "NUMPY_MIN_BYTES", 0)
    monkeypatch.setattr(collect_scan, "SCAN_BYTES", 8192)
    chunks = iter(collect.TraceFiles(5736, [dump], []))
    first = next(chunks)
    assert type(first).__name__ == "ScannedCalls" and first.events()  # type: ignore[union-attr]
    next(chunks)  # the buffer now holds the next piece's bytes
    with pytest.raises(RuntimeError):
        first.events()  # type: ignore[union-attr]
