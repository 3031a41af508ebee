"""`concurtrace view` end to end: the bundled Perfetto UI, served by serve(), loads a
real trace in headless chromium, offline, and shows the process track of its pid."""

from __future__ import annotations

import json
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import engine
import perfetto_traces
import pytest

from concurtrace.view import page_url, start_server
from concurtrace.view_http import UIServer

pytestmark = engine.requires_browser
PROBE = Path(__file__).with_name("ui_probe.js")


@pytest.fixture
def served(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[UIServer]:
    trace = request.param(tmp_path)
    server = start_server(trace, None)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def probe(url: str, png: Path | None = None) -> dict[str, object]:
    node = engine.node_binary()
    assert node is not None
    cmd = [node, str(PROBE), url] + ([str(png)] if png else [])
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, f"UI probe failed:\n{proc.stderr[-3000:]}"
    result: dict[str, object] = json.loads(proc.stdout)
    return result


def _pftrace(tmp: Path) -> Path:
    return perfetto_traces.write_pftrace(tmp / "demo run.pftrace", pid=4242, tid=4243)


def _json(tmp: Path) -> Path:
    return perfetto_traces.write_json_trace(tmp / "demo.json", pid=5151, tid=5152)


@pytest.mark.parametrize("served", [_pftrace], indirect=True)
def test_protobuf_trace_loads_with_process_track(served: UIServer, tmp_path: Path) -> None:
    png = tmp_path / "ui.png"
    info = probe(page_url(served), png)
    assert info["loaded"] is True
    assert str(info["traceTitle"]).startswith("demo_run.pftrace")  # the served file, by name
    assert [4242, "demo-parent"] in info["uiProcesses"]  # type: ignore[operator]
    tracks = info["trackNames"]
    assert "demo-parent 4242" in tracks and "demo-worker 4243" in tracks  # type: ignore[operator]
    assert "demo-parent 4242" in str(info["text"])  # the process group is on screen
    requests = info["requests"]
    assert [200, "/_trace/demo_run.pftrace"] in requests  # type: ignore[operator]
    # Offline: the UI needs nothing but our server (the only outside attempts are optional
    # probes: the native accelerator on 127.0.0.1:9001 and a Google "internal user" check).
    for url in info["blocked"]:  # type: ignore[attr-defined]
        assert url.startswith(("http://127.0.0.1:9001/", "https://storage.cloud.google.com/"))
    assert png.read_bytes()[:4] == b"\x89PNG"


@pytest.mark.parametrize("served", [_json], indirect=True)
def test_json_trace_loads(served: UIServer) -> None:
    info = probe(page_url(served))
    assert [5151, "json-proc"] in info["uiProcesses"]  # type: ignore[operator]
    assert any("5151" in str(name) for name in info["trackNames"])  # type: ignore[attr-defined]
