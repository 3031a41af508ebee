"""Reads what the tree left in the session directory, tolerating every way it can be broken.

VizTracer's dumps are large (about 130 bytes per call), so they are parsed in
chunks of whole events as the merge consumes them: the events of one chunk are
turned into slices and dropped before the next is read. A dump cut short by a
kill keeps every complete event before the cut.

msgspec decodes a chunk straight into typed events, 3x faster than json.loads into
dicts (bench/README.md, "Post-run"). JSON that is valid but not VizTracer's exact
output (a string ts, NaN, a bool tid) fails that typed decode; its chunk is then
decoded with json and checked event by event, as before. A small dump (a short run's)
is decoded with json whole: the same events, without msgspec's ~10 ms of imports.
"""

from __future__ import annotations

import io
import json
import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from concurtrace.model.traces import DecodedEvents, TraceEvents, events_from_dicts

TRACE_FILE = re.compile(r"trace-(\d+)-(\d+)\.json$")
HEAD = b'{"traceEvents":['  # how VizTracer's dump_raw starts
CHUNK_BYTES = 1 << 20
NUMPY_MIN_BYTES = 8 << 20  # ~60 k calls, whose stdlib sort and conversion take ~0.05 s
SMALL_DUMP_BYTES = 256 << 10  # ~2 k calls: json.loads takes ~3 ms, msgspec's imports ~10
BOUNDARY = b"},{"

if TYPE_CHECKING:
    from concurtrace.model.column_kernels import ColumnKernels
    from concurtrace.runner.collect_scan import Scanner


class TraceFiles:
    """One process's dumps, read lazily as an iterable of event chunks."""

    def __init__(self, pid: int, paths: list[Path], warnings: list[str]) -> None:
        self.pid, self.paths, self.warnings = pid, paths, warnings

    @property
    def kernels(self) -> ColumnKernels | None:
        """numpy's bulk steps for the merge when the dumps are large enough to repay its
        import (~0.05-0.1 s), else None (the standard library's)."""
        if self.size < NUMPY_MIN_BYTES:
            return None
        try:
            from concurtrace.runner.numpy_kernels import KERNELS
        except ImportError:  # numpy missing or broken: the same merge, slower
            return None
        return KERNELS

    @property
    def size(self) -> int:
        total = 0
        for path in self.paths:
            try:
                total += path.stat().st_size
            except OSError:  # gone: reading it will say so
                pass
        return total

    def __iter__(self) -> Iterator[TraceEvents]:
        scan = self._scanner()
        for path in self.paths:
            yield from self._chunks(path, scan)

    def _scanner(self) -> Scanner | None:
        """runner/vizscan.py's reader of plain calls for dumps that pay numpy's import."""
        if self.size < NUMPY_MIN_BYTES:
            return None
        try:
            from concurtrace.runner.vizscan import scan
        except ImportError:
            return None
        return scan

    def _chunks(self, path: Path, scan: Scanner | None) -> Iterator[TraceEvents]:
        try:
            with open(path, "rb") as stream:
                if scan is None and os.fstat(stream.fileno()).st_size < SMALL_DUMP_BYTES:
                    yield from _small_dump(stream.read(), self._overflowed)
                else:
                    yield from _event_chunks(stream, self._overflowed, scan)
        except (OSError, ValueError) as error:
            what = "cut short" if isinstance(error, ValueError) else "unreadable"
            self.warnings.append(f"pid {self.pid}: function trace {what} "
                                 f"({type(error).__name__}); calls before the cut are kept, "
                                 "and its lifecycle and samples")

    def _overflowed(self) -> None:
        self.warnings.append(f"pid {self.pid}: VizTracer's ring buffer overflowed, its earliest "
                             "calls were dropped; raise --tracer-entries or use "
                             "--max-stack-depth, --include-files, --min-duration")


def find_traces(directory: Path, warnings: list[str]) -> dict[int, TraceFiles]:
    """pid -> its dumps (a pid that exec'd may have several)."""
    paths: dict[int, list[Path]] = {}
    for path in sorted(directory.glob("trace-*.json")):
        match = TRACE_FILE.search(path.name)
        if match is not None:
            paths.setdefault(int(match.group(1)), []).append(path)
    return {pid: TraceFiles(pid, found, warnings) for pid, found in paths.items()}


def _small_dump(data: bytes, overflowed: Callable[[], None]) -> Iterator[TraceEvents]:
    try:
        parsed = json.loads(data)
    except ValueError:  # cut short by a kill: the chunked reader keeps the whole events
        yield from _event_chunks(io.BytesIO(data), overflowed)
        return
    yield from _whole(parsed, overflowed)


def _event_chunks(stream: IO[bytes], overflowed: Callable[[], None],
                  scan: Scanner | None = None) -> Iterator[TraceEvents]:
    head = stream.read(len(HEAD))
    if head != HEAD:  # not VizTracer's layout: parse it whole
        yield from _whole(json.loads(head + stream.read()), overflowed)
        return
    # "[" + the bytes not decoded yet: a chunk is decoded in place, its "," after the last
    # whole event turned into the "]" that closes the array (no copy of the chunk).
    buffer = bytearray(b"[")
    if scan is not None:  # big: its plain calls scanned into columns (then at the end)
        from concurtrace.runner.collect_scan import scanned_chunks

        buffer = yield from scanned_chunks(stream, scan, _decoded)
    while True:
        data = stream.read(CHUNK_BYTES)
        buffer += data
        cut = buffer.rfind(BOUNDARY) if data else -1
        if cut > 0:
            buffer[cut + 1] = 0x5D  # "]"
            try:  # a "},{" inside a string or nested args fails; the next chunk retries
                with memoryview(buffer) as view:
                    events = _decoded(view[:cut + 2])
            except ValueError:
                events = None
            buffer[cut + 1] = 0x2C  # ","
            if events is not None:
                del buffer[1:cut + 2]
                yield events
                continue
        if not data:
            break
    buffer = buffer[1:]
    from concurtrace.runner.vizdecode import DUMP  # not imported by runs with no dumps

    try:
        tail = DUMP.decode(HEAD + buffer)
    except ValueError:
        try:
            tail = json.loads(HEAD + buffer)
        except ValueError:  # cut short by a kill: keep the complete events before the cut
            cut = buffer.rfind(BOUNDARY)
            if cut > 0:
                yield _events_before(buffer, cut)
            raise
        yield from _whole(tail, overflowed)
        return
    if isinstance(tail.viztracer_metadata, dict) and tail.viztracer_metadata.get("overflow"):
        overflowed()
    yield tail.traceEvents


def _events_before(buffer: bytes | bytearray, cut: int) -> DecodedEvents:
    """The events of buffer up to the "}" at cut (ValueError if that is not whole JSON)."""
    return _decoded(b"[" + buffer[:cut + 1] + b"]")


def _decoded(data: bytes | memoryview) -> DecodedEvents:
    """A JSON array of events: typed, or checked one by one when not VizTracer's exact types."""
    from concurtrace.runner.vizdecode import EVENTS  # not imported by runs with no dumps

    try:
        return EVENTS.decode(data)
    except ValueError:  # not VizTracer's exact types, or not JSON for msgspec (NaN)
        return _dicts(json.loads(bytes(data)))


def _whole(data: Any, overflowed: Callable[[], None]) -> Iterator[TraceEvents]:
    events = data.get("traceEvents") if isinstance(data, dict) else data
    meta = data.get("viztracer_metadata") if isinstance(data, dict) else None
    if isinstance(meta, dict) and meta.get("overflow"):
        overflowed()
    if isinstance(events, list):
        yield _dicts(events)


def _dicts(events: list[Any]) -> DecodedEvents:
    return events_from_dicts(events)
