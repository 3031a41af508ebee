"""What the sampler makes: state runs and counter series (re-exported by model/timeline.py).

Apart from the timeline so that the sampler, which runs before and while the program does,
does not import the timeline's model (its classes cost ~5 ms to build; runner/run.py
imports them while the program runs, runner/prefetch.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from concurtrace.model.plain import Plain

if TYPE_CHECKING:
    from concurtrace.model.vocabulary import StateKey


class StateRun(Plain):
    """A run of consecutive samples of one thread in one state."""

    ts: int
    dur: int
    state: StateKey
    # Of dur, the part the thread was queued for a CPU (only "gil" runs: woken inside
    # take_gil/drop_gil, not yet running). GIL wait includes it; it is shown apart too.
    queued_ns: int

    __slots__ = ("ts", "dur", "state", "queued_ns")

    def __init__(self, ts: int, dur: int, state: StateKey, queued_ns: int = 0) -> None:
        self.ts = ts
        self.dur = dur
        self.state = state
        self.queued_ns = queued_ns


class CounterSeries(Plain):
    pid: int
    name: str
    points: list[tuple[int, float]]

    __slots__ = ("pid", "name", "points")

    def __init__(self, pid: int, name: str, points: list[tuple[int, float]] | None = None) -> None:
        self.pid = pid
        self.name = name
        self.points = [] if points is None else points

    def add(self, ts: int, value: float) -> None:
        """Append a point, keeping the series in time order (an earlier one is dropped)."""
        if not self.points or ts >= self.points[-1][0]:
            self.points.append((ts, value))
