"""Install the asyncio hooks only when the program imports asyncio: importing it in every
traced process would cost start-up time, change sys.modules and what a program that never
uses asyncio does at start (it imports selectors, ssl, concurrent.futures ...).

runner/import_watch.py installs the hooks right after the program's import of the
"asyncio" package has run.
"""

from __future__ import annotations

import sys

from concurtrace.runner.hookset import HookSet, Sink
from concurtrace.runner.import_watch import after_import


def install_asyncio_lazily(hooks: HookSet, sink: Sink) -> None:
    config = getattr(sink, "config", {}) or {}
    if not config.get("asyncio", True):
        return

    def install() -> None:
        from concurtrace.runner.hooks_asyncio import install_asyncio

        install_asyncio(hooks, sink)

    if "asyncio.base_events" in sys.modules:
        install()
        return
    after_import(hooks, "asyncio", lambda _module: install())
