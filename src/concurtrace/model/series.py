"""What the sampler makes: state runs and counter series (re-exported by model/timeline.py).

Apart from the timeline so that the sampler, which runs before and while the program does,
does not import the timeline's model (its classes cost ~5 ms to build; runner/run.py
imports them while the program runs, runner/prefetch.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from concurtrace.model.vocabulary import StateKey


@dataclass(slots=True)
class StateRun:
    """A run of consecutive samples of one thread in one state."""

    ts: int
    dur: int
    state: StateKey
    # Of dur, the part the thread was queued for a CPU (only "gil" runs: woken inside
    # take_gil/drop_gil, not yet running). GIL wait includes it; it is shown apart too.
    queued_ns: int = 0


@dataclass(slots=True)
class CounterSeries:
    pid: int
    name: str
    points: list[tuple[int, float]] = field(default_factory=list)

    def add(self, ts: int, value: float) -> None:
        """Append a point, keeping the series in time order (an earlier one is dropped)."""
        if not self.points or ts >= self.points[-1][0]:
            self.points.append((ts, value))
