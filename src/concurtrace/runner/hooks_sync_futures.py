"""Sync hooks for concurrent.futures: Future.result/exception, wait() and as_completed().

Installed when the program imports concurrent.futures (importing it in every traced
process would cost start-up time: it imports logging), by runner/import_watch.py.

A Future's result() is recorded as a "Future.result" wait, split like a lock's (a
Future stays done), ended by the thread whose set_result/set_exception/cancel
completed it. wait() and as_completed() block on an Event of a waiter object that
_create_and_install_waiters makes: it is tagged, and the Event hook records its wait as
"Futures.wait" / "Futures.as_completed", ended by the thread that completed the
future which set it. The Conditions and Events inside are not recorded on their own.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable

from concurtrace.runner.hooks_sync_naming import SITE_ATTR, creation_site, settings
from concurtrace.runner.hooks_sync_records import begin, end, signal
from concurtrace.runner.hooks_sync_waits import positive, split_wait
from concurtrace.runner.hookset import HookSet, Sink
from concurtrace.runner.import_watch import after_import
from concurtrace.runner.own_frames import clean_raise

TYPE_CHECKING = False  # not typing's: importing typing costs every traced process
if TYPE_CHECKING:
    from typing import Any

_now = time.monotonic_ns
KIND_ATTR = "_concurtrace_kind"  # on a wait()/as_completed() waiter's Event
TARGET = "concurrent.futures"


def install_futures_lazily(hooks: HookSet, sink: Sink) -> None:
    def install() -> None:
        install_futures(hooks, sink)

    if "concurrent.futures._base" in sys.modules:
        try:
            install()
        except Exception:  # noqa: BLE001 - futures we cannot hook run unrecorded
            pass
        return
    after_import(hooks, TARGET, lambda _module: install())


def install_futures(hooks: HookSet, sink: Sink) -> None:
    from concurrent.futures import _base

    cls = _base.Future
    _AS_COMPLETED = getattr(_base, "_AS_COMPLETED", "_AS_COMPLETED")
    done_states = (_base.CANCELLED, _base.CANCELLED_AND_NOTIFIED, _base.FINISHED)
    orig_init = cls.__init__

    def init(self: Any) -> None:  # its Condition, made in _base, has the same site already
        orig_init(self)
        self.__dict__[SITE_ATTR] = creation_site()

    def outcome(self: Any) -> str:
        if self._state in (_base.CANCELLED, _base.CANCELLED_AND_NOTIFIED):
            return "cancelled"
        return "raised" if self._exception is not None else "completed"

    def blocking(orig: Callable[..., Any]) -> Callable[..., Any]:
        def call(self: Any, timeout: float | None = None) -> Any:
            if self._state in done_states or settings.sink is None or settings.is_busy() \
                    or (timeout is not None and not positive(timeout)):
                return settings.call(orig, self, timeout)

            def attempt(t: float | None) -> bool:
                with self._condition:
                    if self._state not in done_states:
                        self._condition.wait(t)
                    return self._state in done_states

            done = split_wait(sink, self, "Future.result", attempt, timeout,
                              lambda: outcome(self))
            return settings.call(orig, self, None if done else 0)  # returns, or raises as it would

        return call

    def completing(orig: Callable[..., Any], op: str) -> Callable[..., Any]:
        def call(self: Any, *args: Any, **kwargs: Any) -> Any:
            waiting = bool(self._condition._waiters) and settings.sink is not None \
                and not settings.is_busy()
            ts = _now()
            result = settings.call(orig, self, *args, **kwargs)
            if waiting:
                signal(sink, self, op, ts)
            return result

        return call

    orig_install = getattr(_base, "_create_and_install_waiters")  # noqa: B009 - private

    def create_and_install_waiters(fs: Any, return_when: Any) -> Any:
        waiter = orig_install(fs, return_when)
        kind = "Futures.as_completed" if return_when == _AS_COMPLETED else "Futures.wait"
        try:
            setattr(waiter.event, KIND_ATTR, (kind, len(fs), str(return_when)))
        except (AttributeError, TypeError):
            pass
        return waiter

    hooks.patch(cls, "__init__", clean_raise(init))
    hooks.patch(cls, "result", clean_raise(blocking(cls.result)))
    hooks.patch(cls, "exception", clean_raise(blocking(cls.exception)))
    for name, op in (("set_result", "complete"), ("set_exception", "complete"),
                     ("cancel", "cancel")):
        hooks.patch(cls, name, clean_raise(completing(getattr(cls, name), op)))
    hooks.patch(_base, "_create_and_install_waiters", clean_raise(create_and_install_waiters))


def futures_event_wait(sink: Sink, event: Any, orig: Callable[..., Any],
                       timeout: float | None) -> bool:
    """The Event wait of a wait()/as_completed() waiter, recorded as a wait on futures."""
    kind, count, when = getattr(event, KIND_ATTR)
    extra = {"return_when": when} if kind == "Futures.wait" else {}
    begin(sink, event, kind, _now(), futures=count, **extra)
    outcome = "interrupted"
    settings.busy.on = True
    try:
        result = bool(settings.call(orig, event, timeout))
        outcome = "completed" if result else "timed_out"
        return result
    finally:
        settings.busy.on = False
        end(sink, event, outcome)
