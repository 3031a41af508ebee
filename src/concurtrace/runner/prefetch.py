"""Import the post-run stages while the traced program runs, not after it.

The model, the merge and the exporter cost a short run ~30 ms of imports; made in a
thread once the program has started, they overlap its run (on another core) instead of
adding to concurtrace's wall time. The CPU time is the same. The sampler's thread shares
the GIL with this one: a switch interval of 0.5 ms while it imports keeps each sample
within 0.5 ms of its time (with the default 5 ms, the import would hold the sampler off
for up to 5 ms at each tick). The main thread joins it before the post-run steps, so no
two threads of ours import the same modules at once.
"""

from __future__ import annotations

import sys
import threading

SWITCH_INTERVAL_S = 0.0005


LATER_AFTER_S = 0.2  # a run this short leaves small dumps: runner/collect.py needs no msgspec


class Prefetch:
    """modules: imported at once; later: only if the program still runs LATER_AFTER_S
    after they are (what only a longer run's post-run needs)."""

    def __init__(self, modules: tuple[str, ...], later: tuple[str, ...] = ()) -> None:
        self.modules, self.later = modules, later
        self._thread: threading.Thread | None = None
        self._interval = sys.getswitchinterval()
        self._ended = threading.Event()

    def start(self) -> None:
        if self._thread is not None or not self.modules:
            return
        self._interval = sys.getswitchinterval()
        sys.setswitchinterval(min(self._interval, SWITCH_INTERVAL_S))
        self._thread = threading.Thread(target=self._run, name="concurtrace-prefetch",
                                        daemon=True)
        try:
            self._thread.start()
        except RuntimeError:  # no thread to be had: the main thread imports them later
            self._thread = None
            sys.setswitchinterval(self._interval)

    def _run(self) -> None:
        try:
            _import(self.modules)
            sys.setswitchinterval(self._interval)
            if self.later and not self._ended.wait(LATER_AFTER_S):
                sys.setswitchinterval(min(self._interval, SWITCH_INTERVAL_S))
                _import(self.later)
        finally:
            sys.setswitchinterval(self._interval)

    def join(self) -> None:
        self._ended.set()
        if self._thread is not None:
            self._thread.join()


def _import(modules: tuple[str, ...]) -> None:
    for name in modules:
        try:
            # __import__, as formats.py: -X importtime sees it (tests/test_startup.py)
            __import__(name)
        except Exception:  # noqa: BLE001, S112 - the main thread's import says it
            continue
