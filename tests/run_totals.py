"""Totals and shares of StateRuns per state, for tests that check merged runs."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from concurtrace.model.timeline import StateRun
from concurtrace.model.vocabulary import STATE_KEYS


def state_totals(runs: Iterable[StateRun]) -> dict[str, int]:
    """Nanoseconds per state key (all keys present)."""
    totals: dict[str, int] = dict.fromkeys(STATE_KEYS, 0)
    for run in runs:
        totals[run.state] += run.dur
    return totals


def state_shares(runs: Sequence[StateRun]) -> dict[str, float]:
    """Fraction of the covered time per state (0.0 everywhere for no runs)."""
    totals = state_totals(runs)
    whole = sum(totals.values())
    return {k: (v / whole if whole else 0.0) for k, v in totals.items()}
