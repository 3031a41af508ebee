"""JSON for the child's start path without the json package (it imports re: ~3 ms of every
traced process, and modules the program never asked for). The same C encoder and scanner
json.dumps/json.loads use, from _json, so the text is byte for byte json.dumps'
(separators (",", ":"), ensure_ascii, default=str); pure json when _json is missing."""

from __future__ import annotations

TYPE_CHECKING = False  # not typing's: importing typing is what this module avoids
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

_encode: Callable[[Any], str]
_scan: Callable[[str, int], tuple[Any, int]] | None

_CONSTANTS = {"-Infinity": float("-inf"), "Infinity": float("inf"), "NaN": float("nan")}


class _ScanContext:
    """What _json.make_scanner reads from a json.JSONDecoder (json.loads' defaults)."""

    strict = True
    object_hook = None
    object_pairs_hook = None
    parse_float = float
    parse_int = int
    parse_constant = _CONSTANTS.__getitem__
    memo: dict[str, str] = {}


try:
    from _json import encode_basestring_ascii, make_encoder, make_scanner
except ImportError:  # an interpreter without the accelerator
    import json as _json_module

    _encode = _json_module.JSONEncoder(separators=(",", ":"), default=str).encode
    _scan = None
else:
    # markers None: no circular-reference check (a record is a tree of plain values)
    _iterencode = make_encoder(None, str, encode_basestring_ascii, None, ":", ",", False,
                               False, True)

    def _encode(value: Any) -> str:
        return "".join(_iterencode(value, 0))

    _context: Any = _ScanContext()  # what a JSONDecoder offers make_scanner, nothing more
    _scan = make_scanner(_context)


def dumps(value: Any) -> str:
    """json.dumps(value, separators=(",", ":"), default=str): ASCII, one line."""
    return _encode(value)


def loads(text: str) -> Any:
    """json.loads(text) for a document json.dumps wrote; ValueError when it is not JSON."""
    if _scan is None:
        import json

        return json.loads(text)
    text = text.strip()
    try:
        value, end = _scan(text, 0)
    except StopIteration:
        raise ValueError("not a JSON document") from None
    if end != len(text):
        raise ValueError("extra data after the JSON document")
    return value
