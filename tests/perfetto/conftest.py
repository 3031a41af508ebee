"""Fixtures for the Perfetto checks (tests that need Node/chromium skip via engine.requires_*)."""

from __future__ import annotations

from pathlib import Path

import perfetto_traces
import pytest


@pytest.fixture
def small_pftrace(tmp_path: Path) -> Path:
    return perfetto_traces.write_pftrace(tmp_path / "small.pftrace")


@pytest.fixture
def small_json_trace(tmp_path: Path) -> Path:
    return perfetto_traces.write_json_trace(tmp_path / "small.json")
