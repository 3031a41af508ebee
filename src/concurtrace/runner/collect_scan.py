"""A big dump read for runner/vizscan.py: one buffer refilled in place, no copy per piece.

A read() per piece allocates its bytes, appending them to the carried-over buffer copies
them again, and a piece handed on is a third copy: about 0.1 s of CPU per
million calls. Here the file is read into one buffer (readinto), a piece
is scanned where it lies, and only the bytes after its last whole event move to the
front. A piece that does not scan is decoded as runner/collect.py always did. Standard
library only (the scanner is handed in).
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import IO, TYPE_CHECKING

if TYPE_CHECKING:
    from concurtrace.model.traces import CallColumns, DecodedEvents, TraceEvents

    Scanner = Callable[[bytearray, int, int, Callable[[], DecodedEvents]], CallColumns | None]
    Decoder = Callable[[bytes], DecodedEvents]

SCAN_BYTES = 2 << 20  # a scan holds ~3x its piece in numpy arrays for a moment (4 MB: +12 MB peak)
PAD = 8  # runner/vizscan.PAD (not imported: numpy)
BOUNDARY = b"},{"
TAIL = b'}], "viztracer_metadata":'  # after the last event (snaptrace.c)


def scanned_chunks(stream: IO[bytes], scan: Scanner, decode: Decoder
                   ) -> Generator[TraceEvents, None, bytearray]:
    """The stream's events, piece by piece; returns "[" and the bytes after the last whole
    event (the metadata, or a cut-short end) for runner/collect.py's tail."""
    buffer = bytearray(1 + SCAN_BYTES + PAD)
    buffer[0] = 0x5B  # "[", as collect.py's buffer starts
    filled, generation = 1, [0]
    # typing's IO has no readinto; the files opened "rb" (BufferedReader) have it
    readinto: Callable[[memoryview], int] = getattr(stream, "readinto")  # noqa: B009
    while True:
        if len(buffer) - filled < SCAN_BYTES // 2:  # an event longer than what is left
            buffer.extend(bytes(SCAN_BYTES))
        with memoryview(buffer) as view:
            got = readinto(view[filled:])
        filled += got
        cut, after = (buffer.rfind(BOUNDARY, 0, filled), 2) if got \
            else (buffer.rfind(TAIL, 0, filled), 1)
        if cut > 0 and filled >= cut + 1 + PAD:
            pieces = _pieces(buffer, cut, scan, decode, generation)
            if pieces:
                yield from pieces
                generation[0] += 1  # the pieces' events() are stale from here
                rest = filled - (cut + after)
                buffer[1:1 + rest] = buffer[cut + after:filled]
                filled = 1 + rest
                continue
        if not got:
            return buffer[:filled]


def _pieces(buffer: bytearray, cut: int, scan: Scanner, decode: Decoder,
            generation: list[int]) -> list[TraceEvents]:
    """The whole events of buffer[1:cut + 1]: the metadata events before the first call
    decoded, the calls scanned (or all decoded); [] if they do not decode (a "},{"
    inside a string: the next read completes them)."""
    first = buffer.find(b'{"pid":', 1, cut)
    mine = generation[0]

    def events() -> DecodedEvents:
        if generation[0] != mine:  # the buffer holds other bytes now
            raise RuntimeError("a scanned piece's events are read before the next piece")
        return decode(b"[" + buffer[first:cut + 1] + b"]")

    try:
        calls = scan(buffer, first, cut + 1, events) if first > 0 else None
        if calls is None:
            return [decode(b"[" + buffer[1:cut + 1] + b"]")]
        return [calls] if first == 1 else [decode(b"[" + buffer[1:first - 1] + b"]"), calls]
    except ValueError:
        return []
