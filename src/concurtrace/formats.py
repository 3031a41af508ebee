"""The output formats: one row each. `-o`'s help and check, the writer and the reader's
sniffer read this table, so a new format is its exporter module plus one row here.

Stdlib only and outside the stages: `--help` reads it and imports no exporter, model or
reader (start-up: tests/test_startup.py).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import IO, TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    from concurtrace.model.timeline import Timeline

Writer = Callable[["Timeline", IO[Any]], None]


def _perfetto_head(head: bytes) -> bool:
    # a TracePacket field tag (which is also a newline)
    return head[:1] == b"\x0a" and head.strip()[:1] not in (b"{", b"[")


def _json_head(head: bytes) -> bool:
    return head.lstrip()[:1] in (b"{", b"[")


class TraceFormat(NamedTuple):  # not a dataclass: `--version` and `--help` import this
    name: str
    suffix: str
    label: str  # for error messages
    module: str  # the exporter: module.write(timeline, stream)
    binary: bool  # the stream write() takes: bytes, else UTF-8 text
    looks_like: Callable[[bytes], bool]  # the first bytes of a file in this format

    def writer(self) -> Writer:
        # __import__, not importlib.import_module: -X importtime (tests/test_startup.py)
        # sees only imports made through the import statement's machinery.
        write: Writer = __import__(self.module, fromlist=["write"]).write
        return write


FORMATS: tuple[TraceFormat, ...] = (  # the first one is the default
    TraceFormat("perfetto", ".pftrace", "Perfetto (.pftrace)", "concurtrace.exporters.perfetto",
                True, _perfetto_head),
    TraceFormat("json", ".json", "Chrome JSON", "concurtrace.exporters.chrome_json",
                False, _json_head),
)
DEFAULT_FORMAT = FORMATS[0]
SUFFIXES_TEXT = " or ".join(f.suffix for f in FORMATS)  # ".pftrace or .json"
LABELS_TEXT = " or ".join(f.label for f in FORMATS)


def by_suffix(suffix: str) -> TraceFormat | None:
    return next((f for f in FORMATS if f.suffix == suffix), None)


def sniff(head: bytes) -> TraceFormat | None:
    """The format whose first bytes these are."""
    return next((f for f in FORMATS if f.looks_like(head)), None)
