"""concurtrace.view: the loopback-only server for the bundled Perfetto UI and one trace."""

from __future__ import annotations

import http.client
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from concurtrace.view import ViewError, check_trace, find_ui_root, page_url, start_server
from concurtrace.view_http import UIServer

# A Trace with one TracePacket {timestamp: 1}: field 1, length 2, then field 8 varint 1.
PFTRACE = b"\x0a\x02\x40\x01"


@pytest.fixture
def trace(tmp_path: Path) -> Path:
    path = tmp_path / "run.pftrace"
    path.write_bytes(PFTRACE * 1000 + bytes(range(256)) * 4)  # binary tail, for ranges
    return path


def _running(server: UIServer) -> Iterator[UIServer]:
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join(5)


@pytest.fixture
def server(trace: Path) -> Iterator[UIServer]:
    yield from _running(start_server(trace, None))


def get(
    server: UIServer, target: str, method: str = "GET", headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", server.server_port, timeout=10)
    try:
        conn.request(method, target, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        conn.close()


def test_serves_ui_and_trace(server: UIServer, trace: Path) -> None:
    status, headers, body = get(server, "/")
    assert status == 200 and b"Perfetto UI" in body
    assert headers["content-type"].startswith("text/html")
    status, headers, body = get(server, "/_trace/run.pftrace")
    assert status == 200 and body == trace.read_bytes()
    assert headers["content-length"] == str(trace.stat().st_size)
    version = next(p.name for p in find_ui_root().iterdir() if p.name.startswith("v"))
    status, headers, _ = get(server, f"/{version}/trace_processor.wasm", method="HEAD")
    assert status == 200 and headers["content-type"] == "application/wasm"
    assert int(headers["content-length"]) > 1_000_000


def test_page_url_opens_the_trace(server: UIServer) -> None:
    url = page_url(server)
    assert url.startswith(f"http://127.0.0.1:{server.server_port}/#!/viewer?url=http%3A%2F%2F")
    assert url.endswith("%2F_trace%2Frun.pftrace")


def test_range_requests(server: UIServer, trace: Path) -> None:
    data, size = trace.read_bytes(), trace.stat().st_size
    status, headers, body = get(server, "/_trace/run.pftrace", headers={"Range": "bytes=10-19"})
    assert (status, body, headers["content-range"]) == (206, data[10:20], f"bytes 10-19/{size}")
    status, _, body = get(server, "/_trace/run.pftrace", headers={"Range": "bytes=-5"})
    assert (status, body) == (206, data[-5:])
    status, _, body = get(server, "/_trace/run.pftrace", headers={"Range": f"bytes={size - 3}-"})
    assert (status, body) == (206, data[-3:])
    status, headers, _ = get(server, "/_trace/run.pftrace", headers={"Range": f"bytes={size}-"})
    assert status == 416 and headers["content-range"] == f"bytes */{size}"
    status, _, body = get(server, "/_trace/run.pftrace", headers={"Range": "bytes=0-1,5-6"})
    assert (status, body) == (200, data)  # multi-range: ignored, whole file


def test_binds_loopback_only(server: UIServer) -> None:
    assert server.server_address[0] == "127.0.0.1"
    addresses = [
        a.address
        for addrs in psutil.net_if_addrs().values()
        for a in addrs
        if a.family == socket.AF_INET and not a.address.startswith("127.")
    ]
    if not addresses:
        pytest.skip("this machine has no non-loopback IPv4 address to try")
    for address in addresses:
        with socket.socket() as sock:
            sock.settimeout(2)
            assert sock.connect_ex((address, server.server_port)) != 0, address


TRAVERSALS = [
    "/../../../../etc/passwd",
    "/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
    "/%2E%2E/%2E%2E/etc/passwd",
    "/..%2f..%2f..%2fetc%2fpasswd",
    "/..%5c..%5cetc%5cpasswd",
    "/..\\..\\etc\\passwd",
    "/%252e%252e/%252e%252e/etc/passwd",
    "//etc/passwd",
    "/etc/passwd",
    "http://127.0.0.1/../../etc/passwd",
    "/_trace/../../../etc/passwd",
    "/_trace/%2e%2e/other.txt",
    "/_trace/other.txt",
    "/./index.html",
    "/index.html%00.js",
    "/v52.0-x/",
    "/%c0%ae%c0%ae/etc/passwd",
]


@pytest.mark.parametrize("target", TRAVERSALS)
def test_path_traversal_is_404(server: UIServer, trace: Path, target: str) -> None:
    (trace.parent / "other.txt").write_text("secret")
    status, _, body = get(server, target)
    assert status == 404 and b"secret" not in body and b"root:" not in body


def test_symlinks_leaving_the_ui_dir_are_404(tmp_path: Path, trace: Path) -> None:
    ui = tmp_path / "ui"
    ui.mkdir()
    shutil.copy(find_ui_root() / "index.html", ui / "index.html")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("secret")
    (ui / "leak.txt").symlink_to(outside / "secret.txt")
    (ui / "leakdir").symlink_to(outside)
    (ui / "alias.html").symlink_to(ui / "index.html")  # stays inside: allowed
    for server in _running(UIServer(ui, trace, 0)):
        assert get(server, "/")[0] == 200
        assert get(server, "/alias.html")[0] == 200
        assert get(server, "/leak.txt")[0] == 404
        assert get(server, "/leakdir/secret.txt")[0] == 404


def test_foreign_host_header_is_refused(server: UIServer) -> None:
    # DNS rebinding: a page on evil.example resolving to 127.0.0.1 must not read the trace.
    assert get(server, "/_trace/run.pftrace", headers={"Host": "evil.example"})[0] == 403
    assert get(server, "/", headers={"Host": f"localhost:{server.server_port}"})[0] == 200


@pytest.mark.parametrize(
    "content",
    [b"", b"hello world\n", b"   \n\t ", b"\x00\x01\x02", b"\x0a\xff\xff\xff\x0f", b"PK\x03\x04"],
)
def test_non_trace_raises_view_error(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "x.pftrace"
    path.write_bytes(content)
    with pytest.raises(ViewError, match="is not a trace") as info:
        start_server(path, None)
    assert "\n" not in str(info.value)


def test_missing_or_directory_raises_view_error(tmp_path: Path) -> None:
    with pytest.raises(ViewError, match="cannot read"):
        check_trace(tmp_path / "nope.pftrace")
    with pytest.raises(ViewError, match="directory"):
        check_trace(tmp_path)


@pytest.mark.parametrize("content", [b'{"traceEvents": []}', b"\n\r\t [ ]", PFTRACE])
def test_traces_pass_the_check(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "t"
    path.write_bytes(content)
    check_trace(path)


def test_port_in_use_raises_view_error(server: UIServer, trace: Path) -> None:
    with pytest.raises(ViewError, match=f"127.0.0.1:{server.server_port}"):
        start_server(trace, server.server_port)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT delivery")
def test_serve_prints_url_and_stops_cleanly_on_ctrl_c(trace: Path) -> None:
    port = _free_port()
    code = (
        "from pathlib import Path; from concurtrace.view import serve; "
        f"serve(Path({str(trace)!r}), {port}, open_browser=True, quiet=False)"
    )
    env = {
        k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "BROWSER")
    }
    proc = subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env=env,
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        lines = [proc.stdout.readline() for _ in range(2)]
        assert "open this URL in a browser" in lines[0]  # no display: no browser
        assert lines[1].startswith(f"http://127.0.0.1:{port}/#!/viewer?url=")
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.05)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=10)
    finally:
        proc.kill()
    assert proc.returncode == 0
    assert "Traceback" not in err and err.strip() == "concurtrace view: stopped."


def test_a_dropped_connection_prints_nothing(server: UIServer,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    """A browser that resets its connection mid-request (a reload; Ctrl-C while the UI
    loads) made socketserver print "Exception occurred during processing of request"
    with a traceback on the user's terminal."""
    import struct

    for _ in range(3):
        with socket.create_connection(("127.0.0.1", server.server_port)) as sock:
            sock.sendall(b"GET /index.html HTTP/1.1\r\nHost: 127.0.0.1")
            time.sleep(0.05)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    time.sleep(0.3)  # the handler threads meet the reset
    conn = http.client.HTTPConnection("127.0.0.1", server.server_port, timeout=5)
    conn.request("GET", "/")
    assert conn.getresponse().status == 200  # still serving
    assert "Exception occurred" not in capsys.readouterr().err
