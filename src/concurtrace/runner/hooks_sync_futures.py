"""Sync hooks for concurrent.futures: Future.result/exception, wait() and as_completed().

Installed when the program imports concurrent.futures (importing it in every traced
process would cost start-up time: it imports logging), by runner/import_watch.py.

A Future's result() is recorded as a "Future.result" wait, split like a lock's (a
Future stays done), ended by the thread whose set_result/set_exception/cancel
completed it. wait() and as_completed() block on an Event of a waiter object that
_create_and_install_waiters makes: it is tagged, and the Event hook records its wait as
"Futures.wait" / "Futures.as_completed", ended by the thread that completed the
future which set it. The Conditions and Events inside are not recorded on their own.

A ProcessPoolExecutor's future carries its call's identity (VIA, hooks_sync_mp_cfpool):
its waiters count themselves in the holder table under the executor's, and the signals
of its set_result carry the call's, which the model relays to the worker that ran it.
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
VIA = "_concurtrace_via"  # on a process pool's future: (its call, executor key, offset)
TARGET = "concurrent.futures"
_base_module: list[Any] = []  # concurrent.futures._base, once hooked


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
    _base_module.append(_base)
    hooks.on_uninstall(_base_module.clear)
    _AS_COMPLETED = getattr(_base, "_AS_COMPLETED", "_AS_COMPLETED")
    done_states = (_base.CANCELLED, _base.CANCELLED_AND_NOTIFIED, _base.FINISHED)
    orig_init = cls.__init__

    def init(self: Any) -> None:  # its Condition, made in _base, has the same site already
        orig_init(self)
        self.__dict__[SITE_ATTR] = creation_site()

    def blocking(orig: Callable[..., Any]) -> Callable[..., Any]:
        def call(self: Any, timeout: float | None = None) -> Any:
            if self._state in done_states or settings.sink is None or settings.is_busy() \
                    or (timeout is not None and not positive(timeout)):
                return settings.call(orig, self, timeout)
            # Its own wait on the Future's Condition is recorded (future_wait): the
            # original runs as without us, its traceback's lines too.
            settings.busy.future = self
            try:
                return settings.call(orig, self, timeout)
            finally:
                settings.busy.future = None

        return call

    def completing(orig: Callable[..., Any], op: str) -> Callable[..., Any]:
        def call(self: Any, /, *args: Any, **kwargs: Any) -> Any:
            waiting = bool(self._condition._waiters) and settings.sink is not None \
                and not settings.is_busy()
            ts = _now()
            via = self.__dict__.get(VIA)
            if via is None:
                result = settings.call(orig, self, *args, **kwargs)
                if waiting:
                    signal(sink, self, op, ts)
                return result
            settings.busy.via = via[0]  # the Event sets inside (wait(), as_completed()) and
            try:  # this signal name the call: the model credits its worker
                result = settings.call(orig, self, *args, **kwargs)
                if waiting:
                    signal(sink, self, op, ts)
            finally:
                settings.busy.via = None
            return result

        return call

    orig_install = getattr(_base, "_create_and_install_waiters")  # noqa: B009 - private

    def create_and_install_waiters(fs: Any, return_when: Any) -> Any:
        waiter = orig_install(fs, return_when)
        kind = "Futures.as_completed" if return_when == _AS_COMPLETED else "Futures.wait"
        pools = {vars(f)[VIA][1:] for f in fs if VIA in getattr(f, "__dict__", ())}
        try:
            setattr(waiter.event, KIND_ATTR, (kind, len(fs), str(return_when), tuple(pools)))
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


def _done(future: Any) -> bool:
    base = _base_module[0]
    return future._state in (base.CANCELLED, base.CANCELLED_AND_NOTIFIED, base.FINISHED)


def _outcome(future: Any) -> str:
    base = _base_module[0]
    if future._state in (base.CANCELLED, base.CANCELLED_AND_NOTIFIED):
        return "cancelled"
    return "raised" if future._exception is not None else "completed"


def future_wait(sink: Sink, future: Any, condition: Any, orig_wait: Callable[..., Any],
                timeout: float | None) -> bool:
    """Future.result/exception's wait on its Condition (the lock held), recorded as a
    "Future.result" wait and split like a lock's: a Future stays done."""
    settings.busy.future = None
    via = future.__dict__.get(VIA)
    pool = (via[1:],) if via is not None else ()
    tries = [0]

    def attempt(t: float | None) -> bool:
        tries[0] += 1
        if tries[0] == 2:  # a process pool's: counted only for the recorded part, as a
            _count_waiter(pool, 1)  # Pipe's recv: a round trip under the threshold costs
        if not _done(future):  # its worker no signal (one put just before: no worker named)
            settings.call(orig_wait, condition, t)
        return _done(future)

    try:
        return split_wait(sink, future, "Future.result", attempt, timeout,
                          lambda: _outcome(future))
    finally:
        if tries[0] >= 2:
            _count_waiter(pool, -1)


def futures_event_wait(sink: Sink, event: Any, orig: Callable[..., Any],
                       timeout: float | None) -> bool:
    """The Event wait of a wait()/as_completed() waiter, recorded as a wait on futures."""
    kind, count, when, pools = getattr(event, KIND_ATTR)
    extra = {"return_when": when} if kind == "Futures.wait" else {}
    begin(sink, event, kind, _now(), futures=count, **extra)
    outcome = "interrupted"
    settings.busy.on = True
    _count_waiter(pools, 1)
    try:
        result = bool(settings.call(orig, event, timeout))
        outcome = "completed" if result else "timed_out"
        return result
    finally:
        _count_waiter(pools, -1)
        settings.busy.on = False
        end(sink, event, outcome)


def _count_waiter(pools: tuple[tuple[int, int], ...], delta: int) -> None:
    """Counted under each process pool's key: its workers' result puts then signal."""
    if pools:  # only process pools' futures: the table's module is loaded by then
        from concurtrace.runner.hooks_sync_mp_table import table

        for key, offset in pools:
            table.add_waiter(key, offset, delta)
