"""The format table: every row writes a trace that the sniffer and the reader take back."""

from __future__ import annotations

from pathlib import Path

from concurtrace.cli_support import write_trace
from concurtrace.exporters.readback import read_trace
from concurtrace.formats import FORMATS, SUFFIXES_TEXT, by_suffix, sniff
from concurtrace.model.timeline import Process, Thread, Timeline


def test_each_format_is_written_sniffed_and_read_back(tmp_path: Path) -> None:
    assert SUFFIXES_TEXT == ".pftrace or .json"
    for found in FORMATS:
        proc = Process(pid=5, name="MainProcess", started_ns=0, ended_ns=10**6, traced=True)
        proc.threads[5] = Thread(pid=5, tid=5, name="MainThread", started_ns=0,
                                 ended_ns=10**6, is_main=True)
        path = tmp_path / f"t{found.suffix}"
        write_trace(Timeline(root_pid=5, processes={5: proc}), path)
        assert by_suffix(found.suffix) is found
        assert sniff(path.read_bytes()[:64]) is found, found.name
        again = read_trace(path)
        assert again.processes[5].name == "MainProcess"
    assert by_suffix(".txt") is None and sniff(b"hello") is None
