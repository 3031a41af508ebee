"""Issue 16: multiprocessing.connection Listener.accept() and Client() waits, labelled
with the address, credited across processes to the client's connect and the
listener's accept; their connections' recv waits to the other end's send, as a Pipe's."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import engine
import pytest
from test_sync_mp import CROSS_FLOWS, METHODS, _line
from test_sync_mp_waits import WAITS
from traced import SCRIPTS, trace_run

SCRIPT = SCRIPTS / "mp_listener.py"


@pytest.mark.parametrize("method", METHODS)
def test_listener_and_client_waits_name_the_other_process(method: str,
                                                          tmp_path: Path) -> None:
    plain = subprocess.run([sys.executable, str(SCRIPT), method], capture_output=True,
                           text=True, timeout=60)
    run = trace_run(tmp_path / "t.pftrace", str(SCRIPT), method)
    assert run.returncode == plain.returncode == 0, run.stderr
    assert run.stdout == plain.stdout == "parent got hi\nchild got bye\nparent got late\n"
    rows = {(r["name"], r["outcome"]): r for r in engine.query(run.trace, WAITS)
            if "Listener@" in r["name"] or "Client@" in r["name"]
            or "Connection@" in r["name"]}
    made = _line(SCRIPT, "with Listener(authkey")
    accept = f"waiting in accept() for a client of Listener@mp_listener.py:{made}"
    unix = f"waiting for Client@mp_listener.py:{_line(SCRIPT, 'Client(unix')}"
    tcp = f"waiting for Client@mp_listener.py:{_line(SCRIPT, 'Client(tcp')}"
    parent_end = f"waiting for a message from Connection@mp_listener.py:" \
        f"{_line(SCRIPT, 'server.accept()')}"
    child_end = f"waiting for a message from Connection@mp_listener.py:" \
        f"{_line(SCRIPT, 'Client(unix')}"
    child, parent = "MainThread of client", "MainThread of MainProcess"
    for name, outcome, releaser, at_least in ((accept, "accepted", child, 100e6),
                                              (tcp, "accepted", parent, 300e6),
                                              (parent_end, "got_item", child, 50e6),
                                              (child_end, "got_item", parent, 50e6)):
        row = next((r for (n, o), r in rows.items()
                    if n.startswith(name + " (") and o == outcome), None)
        assert row is not None, (name, sorted(rows))
        assert row["releaser"] == releaser and row["dur"] >= at_least, row
        assert row["releaser_pid"] is not None, row
    assert [n for n, _o in rows if n.startswith(tcp + " (127.0.0.1:")], sorted(rows)
    # the Unix Client() waits for the parent's accept to answer it: any length, or none
    assert all(r["releaser"] == parent for (n, _o), r in rows.items()
               if n.startswith(unix + " (")), sorted(rows)
    flows = [f for f in engine.query(run.trace, CROSS_FLOWS)
             if f["src"].startswith(("connected to Listener@", "accepted Client@",
                                     "sent into Connection@"))]
    assert {f["src"].split("@")[0] for f in flows} == {
        "connected to Listener", "accepted Client", "sent into Connection"}, flows
    assert all(f["src_upid"] != f["dst_upid"] for f in flows), flows
    assert engine.stats_errors(run.trace) == []


def test_a_managers_connections_are_not_listener_waits(tmp_path: Path) -> None:
    """A Manager's server and proxies use Listener and Client inside multiprocessing."""
    script = tmp_path / "managed.py"
    script.write_text("import multiprocessing as mp\n"
                      "if __name__ == '__main__':\n"
                      "    with mp.Manager() as m:\n"
                      "        d = m.dict()\n"
                      "        d['a'] = 1\n"
                      "        print(dict(d))\n")
    run = trace_run(tmp_path / "t.pftrace", str(script))
    assert run.returncode == 0 and run.stdout == "{'a': 1}\n", run.stderr
    names = [r["name"] for r in engine.query(run.trace, WAITS)]
    assert not [n for n in names if "Listener@" in n or "Client@" in n
                or "Connection@" in n], names
