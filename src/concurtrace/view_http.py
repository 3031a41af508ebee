"""Loopback-only HTTP server for `concurtrace view`: the bundled Perfetto UI plus one trace.

Only files under the UI directory (after resolving symlinks) and the one trace are
served; anything else, including traversal attempts and encoded slashes, is a 404.
"""

from __future__ import annotations

import os
import re
import socketserver
import sys
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import BufferedIOBase
from pathlib import Path
from typing import Any, BinaryIO, cast
from urllib.parse import unquote

CHUNK = 1 << 20
TRACE_PREFIX = "/_trace/"
_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript",
    ".css": "text/css",
    ".wasm": "application/wasm",
    ".json": "application/json",
    ".png": "image/png",
    ".svg": "image/svg+xml",
    ".woff2": "font/woff2",
    ".ttf": "font/ttf",
}
_RANGE = re.compile(r"bytes=(\d*)-(\d*)")


class UIServer(ThreadingHTTPServer):
    """Serves `ui_root` and `trace` on 127.0.0.1 only."""

    daemon_threads = True
    block_on_close = False

    def __init__(self, ui_root: Path, trace: Path, port: int) -> None:
        self.ui_root = os.path.realpath(ui_root)
        self.trace = Path(os.path.realpath(trace))
        # The UI titles the trace with the URL's last segment, verbatim: keep it URL-safe.
        self.trace_route = TRACE_PREFIX + re.sub(r"[^A-Za-z0-9._-]", "_", self.trace.name)
        super().__init__(("127.0.0.1", port), UIHandler)

    stopping = False

    def server_close(self) -> None:
        self.stopping = True
        super().server_close()

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A browser that drops its connection (a reload, a closed tab) or a request cut by
        # Ctrl-C is no error worth a traceback on the user's terminal; other errors are.
        if self.stopping or isinstance(sys.exc_info()[1], OSError):
            return
        super().handle_error(request, client_address)

    def server_bind(self) -> None:
        # HTTPServer.server_bind would call socket.getfqdn(), a DNS lookup that can hang.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = "127.0.0.1", int(self.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server_port}"

    @property
    def trace_url(self) -> str:
        return self.base_url + self.trace_route

    def resolve(self, target: str) -> Path | None:
        """Map a request target to a file we may serve, or None (-> 404)."""
        path = target.split("?", 1)[0].split("#", 1)[0]
        lowered = path.lower()
        if not path.startswith("/") or path.startswith("//") or "\\" in path:
            return None
        if any(bad in lowered for bad in ("%2f", "%5c", "%00")):
            return None
        try:
            text = unquote(path, errors="strict")
        except UnicodeDecodeError:
            return None
        if text == self.trace_route:
            return self.trace
        parts = ["index.html"] if text == "/" else text.split("/")[1:]
        if any(p in ("", ".", "..") or "\x00" in p for p in parts):
            return None
        real = os.path.realpath(os.path.join(self.ui_root, *parts))
        if os.path.commonpath([real, self.ui_root]) != self.ui_root or not os.path.isfile(real):
            return None
        return Path(real)


class UIHandler(BaseHTTPRequestHandler):
    server_version = "concurtrace-view"
    sys_version = ""
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        self._respond(body=True)

    def do_HEAD(self) -> None:
        self._respond(body=False)

    def _fail(self, status: HTTPStatus, extra: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for key, value in (extra or {}).items():
            self.send_header(key, value)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _respond(self, body: bool) -> None:
        server = cast(UIServer, self.server)
        path = server.resolve(self.path)
        if path is None:
            return self._fail(HTTPStatus.NOT_FOUND)
        host = self.headers.get("Host")
        if host is not None and host not in (
            f"127.0.0.1:{server.server_port}",
            f"localhost:{server.server_port}",
        ):
            return self._fail(HTTPStatus.FORBIDDEN)  # DNS rebinding guard
        try:
            stream = open(path, "rb")  # closed by the with below
        except OSError:
            return self._fail(HTTPStatus.NOT_FOUND)
        with stream:
            size = os.fstat(stream.fileno()).st_size
            span = _parse_range(self.headers.get("Range"), size)
            if span is None:
                return self._fail(
                    HTTPStatus.REQUESTED_RANGE_NOT_SATISFIABLE, {"Content-Range": f"bytes */{size}"}
                )
            start, end = span
            partial = (start, end) != (0, size - 1) and self.headers.get("Range") is not None
            self.send_response(HTTPStatus.PARTIAL_CONTENT if partial else HTTPStatus.OK)
            self.send_header("Content-Type", _TYPES.get(path.suffix, "application/octet-stream"))
            self.send_header("Content-Length", str(end - start + 1))
            self.send_header("Accept-Ranges", "bytes")
            if partial:
                self.send_header("Content-Range", f"bytes {start}-{end}/{size}")
            self.send_header("Cache-Control", "no-store")
            self.send_header("X-Content-Type-Options", "nosniff")
            self.end_headers()
            if body:
                _copy(stream, self.wfile, start, end - start + 1)


def _parse_range(header: str | None, size: int) -> tuple[int, int] | None:
    """(start, end) inclusive; the whole file when there is no usable Range; None: 416."""
    whole = (0, size - 1)
    match = _RANGE.fullmatch(header.strip()) if header else None
    if match is None or match.group(1) == match.group(2) == "":
        return whole
    first, last = match.group(1), match.group(2)
    if first:
        start, end = int(first), min(int(last), size - 1) if last else size - 1
    else:
        start, end = max(0, size - int(last)), size - 1
    if start >= size or start > end:
        return None if size else whole
    return start, end


def _copy(reader: BinaryIO, writer: BufferedIOBase, offset: int, length: int) -> None:
    reader.seek(offset)
    try:
        while length > 0:
            chunk = reader.read(min(CHUNK, length))
            if not chunk:
                break
            writer.write(chunk)
            length -= len(chunk)
    except (BrokenPipeError, ConnectionResetError):
        pass  # the browser went away or cancelled the download
