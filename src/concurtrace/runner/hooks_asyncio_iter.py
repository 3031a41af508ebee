"""--light's loop iterations (issue 17): task steps timed, plain callbacks not, and a slow
plain callback caught from the iteration it ran in.

The default mode times every callback in Handle._run's hook (hooks_asyncio_run). --light
leaves Handle._run as asyncio's: a plain callback (on the echo bench half of all callbacks:
the transports' _read_ready) runs no code of ours. Instead, once per loop iteration:
- BaseSelectorEventLoop._process_events (right after the selector's select, before the
  iteration's reader/writer handles and timers join the ready queue): the handles
  call_soon put in the ready queue are looked at; a task's step (a Handle whose callback
  is the task's TaskStepMethWrapper / task_wakeup, or the Python Task's __step/__wakeup)
  becomes a STEP_HANDLE, a subclass with a timed _run (named and laid out as Handle, so
  its repr, the debug mode's messages and its slots are Handle's; nothing of the program
  holds a task's step handle). The others are counted, and the only one's name kept.
- BaseEventLoop._run_once (hooks_asyncio_run): the iteration's time after the select,
  less its steps' and timers' (both timed), is its plain callbacks'. At or above the
  slow threshold it is an "acb" named after the callback when it was the only plain one
  of the iteration ("iter": true: timed by its iteration, not by itself), else after
  their number; then Handle._run's per-callback hook goes on for the rest of the process
  (the default mode's), so a later slow plain callback is named and timed by itself.
  A loop whose _process_events is not BaseSelectorEventLoop's turns that on at once.
"""

from __future__ import annotations

import os
import struct
import time
from typing import Any

from concurtrace.runner import hooks_asyncio_steps as steps
from concurtrace.runner.hooks_asyncio_state import (
    BATCH_ROWS,
    DUR_MAX,
    ROW,
    UNNAMED_ID,
    LoopThread,
    State,
)
from concurtrace.runner.hooks_asyncio_uvloop import STEP_NAMES, STEP_WRAPPER
from concurtrace.runner.hookset import HookSet
from concurtrace.runner.own_frames import unlink

_now = time.monotonic_ns


def install_iterations(hooks: HookSet, state: State, handle_run: Any) -> Any:
    """The step handle and the _process_events hook; returns per_callback(), which turns
    on Handle._run's hook (handle_run)."""
    from asyncio import events, selector_events

    plain_handle: Any = events.Handle
    orig_run = plain_handle._run
    ids, unnamed, tls = state.ids, state.unnamed, state.tids
    row_ns = min(state.slow_ns, DUR_MAX + 1)  # a common row's duration fits its uint32
    await_ids, is_task_type = steps.await_ids, steps.IS_TASK_TYPE
    pack_row = ROW.pack

    def step_run(self: Any) -> None:
        if not state.on:
            orig_run(self)
            return None
        start = _now()
        try:
            orig_run(self)
        except BaseException as error:  # KeyboardInterrupt, SystemExit
            unlink(error)
            steps.ran_safely(state, self, start, _now())
            raise
        end = _now()
        try:
            try:
                lt = tls.lt
            except AttributeError:
                lt = state.loop_thread()
            dur = end - start
            lt.step_ns += dur  # the iteration's time that is not its plain callbacks'
            owner = self._callback.__self__
            number = ids.get(id(owner))
            lp = lt.lp  # its loop's: the one whose iteration this thread runs
            waiter = owner._fut_waiter  # None: done, or a bare yield (sleep(0))
            if number is None or dur >= row_ns or number in unnamed \
                    or waiter is None and owner.done():  # its first, last or a slow step
                steps.stepped_rarely(state, owner, number, lp, start, end)
                return None
            if state.walks:  # see hooks_asyncio_run's handle_run
                state.walks -= 1
                kind_id, where_id, awt = await_ids(state, owner, waiter, ids.get(id(waiter), 0))
            else:
                kind_id, where_id, awt = UNNAMED_ID, 0, ids.get(id(waiter), 0)
            try:
                row = pack_row(start, dur, lt.tid, lp, number, kind_id, where_id, awt)
            except struct.error:
                steps.stepped_rarely(state, owner, number, lp, start, end)
                return None
            if len(state.flat) >= BATCH_ROWS:
                state.flush()
            state.flat.append(row)
        except Exception:  # noqa: BLE001 - a task type of the program's we misread
            pass
        return None

    step_handle = type(plain_handle.__name__, (plain_handle,), {
        "__slots__": (), "_run": step_run, "__module__": plain_handle.__module__,
        "__qualname__": plain_handle.__qualname__})
    selector_loop: Any = selector_events.BaseSelectorEventLoop
    orig_process = selector_loop._process_events

    def process_events(self: Any, event_list: Any) -> None:
        if state.on:  # at the select's end: the ready queue's steps made STEP_HANDLEs, the
            try:  # rest counted with the iteration's reader/writer events (inline: once
                try:  # an iteration, a call less)
                    lt = tls.lt
                except AttributeError:
                    lt = state.loop_thread()
                lt.selected = _now()
                lp = ids.get(id(self))
                if lp is None:
                    lp = state.task_id(self)[0]
                    state.next_sample = 0  # its first counters at once
                lt.lp = lp
                plain = 0
                last: Any = None
                for handle in self._ready:
                    if type(handle) is plain_handle:
                        callback = handle._callback
                        name = getattr(callback, "__name__", None)  # the step wrapper: none
                        if (name == "task_wakeup" or name in STEP_NAMES
                                or type(callback).__name__ == STEP_WRAPPER) \
                                and is_task_type[type(getattr(callback, "__self__", None))]:
                            handle.__class__ = step_handle
                            continue
                        plain += 1
                        last = callback
                    elif type(handle) is not step_handle and not handle._cancelled:
                        plain += 1  # a handle type of the program's
                        last = handle._callback
                if event_list:
                    plain, last = _with_events(plain, last, event_list)
                lt.plain = plain
                if plain == 1 and last is not None:  # what names it (site_name): no call
                    inner = getattr(last, "func", last)  # functools.partial
                    lt.only = getattr(getattr(inner, "__func__", inner), "__code__", None) \
                        or getattr(inner, "__qualname__", None)
                else:
                    lt.only = None
            except Exception:  # noqa: BLE001 - a ready queue of the program's we misread
                pass
        try:
            orig_process(self, event_list)
        except BaseException as error:
            unlink(error)
            raise

    def per_callback() -> None:
        if not state.per_callback:
            state.per_callback = True
            hooks.patch(plain_handle, "_run", handle_run)

    hooks.patch(selector_loop, "_process_events", process_events)
    return per_callback


def _with_events(plain: int, last: Any, event_list: Any) -> tuple[int, Any]:
    """The iteration's plain callbacks with its reader/writer events' (an event whose
    socket is ready both ways runs two), and the only one's callback."""
    plain += len(event_list)
    if plain == 1:  # the one event's: its reader, or its writer
        key, mask = event_list[0]
        reader, writer = key.data
        if mask == 3 and reader is not None and writer is not None:
            return 2, None
        last = getattr(reader if mask & 1 and reader is not None else writer, "_callback", None)
    return plain, last


def site_name(only: Any) -> str:
    """The only plain callback's name, as callback_name's: its function's code (a function,
    a bound method's or a partial's: held instead of the callback, which would keep what
    it is bound to alive), else a builtin's qualname."""
    code = getattr(only, "co_filename", None)
    if code is None:
        return str(only)
    name = getattr(only, "co_qualname", None) or only.co_name  # 3.10: no co_qualname
    return f"{name} ({os.path.basename(only.co_filename)}:{only.co_firstlineno})"


def iteration_blocked(state: State, loop: Any, lt: LoopThread, busy: int, per_callback: Any
                      ) -> None:
    """An iteration whose plain callbacks took busy ns (>= the slow threshold): an "acb"."""
    if lt.plain < 1:
        return  # no plain callback ran: the loop's own work, or a thread holding the GIL
    if lt.plain == 1 and lt.only is not None:
        what = site_name(lt.only)
    else:
        what = f"{lt.plain} plain callbacks in one iteration (--light: not timed one by one)"
    lp = state.ids.get(id(loop)) or state.task_id(loop)[0]
    state.flush()  # the steps before it first
    state.sink.write({"ev": "acb", "ts": lt.selected, "end": lt.selected + busy,
                      "tid": lt.tid, "loop": lp, "cb": what, "iter": True,
                      "plain": lt.plain})
    per_callback()

