"""What watches the tree from the parent: the signal watchdog, the sampler, the live
deadlock detector.

They start after the target is spawned and before it may run its first line
(runner/launch.py's before_go): their imports (the sampler, the model's sample and sync
types, sockets: ~15 ms) and set-up then overlap the target's interpreter start and our
bootstrap's imports, on the other core, instead of coming before them; the program itself
still runs only once all three run, as before.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from concurtrace.model.deadlock import Deadlock
    from concurtrace.model.stall import Stall
    from concurtrace.runner.launch import Launcher
    from concurtrace.runner.livedeadlock import LiveDetector
    from concurtrace.runner.run import RunConfig
    from concurtrace.runner.watchdog import SignalWatchdog
    from concurtrace.sampler import TreeSampler


class Watchers:
    def __init__(self, config: RunConfig, directory: Path) -> None:
        self.config, self.directory = config, directory
        self.watchdog: SignalWatchdog | None = None
        self.sampler: TreeSampler | None = None
        self.live: LiveDetector | None = None

    def start(self, launcher: Launcher) -> None:
        from concurtrace.runner.watchdog import SignalWatchdog, save_bound_s
        from concurtrace.sampler import TreeSampler

        config = self.config
        self.watchdog = SignalWatchdog(self.directory, save_bound_s(
            config.light, config.tracer.tracer_entries))
        self.watchdog.start()  # a fatal signal ends a process even in a long C call
        self.sampler = TreeSampler(os.getpid(), hz=config.sample_hz, states=True)
        self.sampler.not_descendants(launcher.pids_before)
        self.sampler.start()
        self.live = self._live_detector(launcher)

    def _live_detector(self, launcher: Launcher) -> LiveDetector | None:
        """It reads the records as the tree writes them."""
        config = self.config
        if not config.sync:
            return None
        from concurtrace.model.deadlock import deadlock_lines
        from concurtrace.runner.livedeadlock import LiveDetector, print_lines

        def found(deadlock: Deadlock, records: list[dict[str, Any]]) -> None:
            print_lines(deadlock_lines(deadlock, records))
            if config.stop_on_deadlock:
                launcher.stop_for_deadlock()

        def stalled(stall: Stall, records: list[dict[str, Any]]) -> None:  # never a stop:
            from concurtrace.model.stall import stall_lines  # it may be a program idling
            print_lines(stall_lines(stall, records))  # until a signal's handler wakes it

        live = LiveDetector(self.directory, config.deadlock_after_s,
                            int(config.sync_threshold_ms * 1e6), found, stalled)
        live.start()
        return live

    def tree_ended(self) -> None:
        """The whole tree was reaped (or the launch failed): nothing is left to sample or
        to find a deadlock in."""
        if self.sampler is not None:
            self.sampler.request_stop()
        if self.live is not None:
            self.live.stop()

    def stop_watchdog(self) -> None:
        if self.watchdog is not None:
            self.watchdog.stop()
