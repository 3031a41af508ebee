"""The asyncio hooks that run with every callback and loop iteration (issue 17; the rest
is hooks_asyncio): Handle._run (a task step becomes a row, a slow plain callback an
"acb"), TimerHandle._run (how late the timer ran) and BaseEventLoop._run_once (the loop's
counters, a batch of rows that is old). Handle._run's hook is the hot path: a plain
callback costs ~40 bytecodes of ours and no call, a task step's common row ~100 more
(bench/asyncio_ops.py counts them). So the common cases are inline here, not calls into
hooks_asyncio_steps (whose ran/stepped do the same for the rarer cases), and each test
is the cheapest that tells: a dict keyed by type, not isinstance; the TimerHandle check
in its own hook; the counters once per ms at an iteration's start, not per callback.
"""

from __future__ import annotations

import functools
import struct
import time
from typing import Any

from concurtrace.runner import hooks_asyncio_loop as loop
from concurtrace.runner import hooks_asyncio_steps as steps
from concurtrace.runner.hooks_asyncio_state import BATCH_ROWS, DUR_MAX, ROW, UNNAMED_ID, State
from concurtrace.runner.hooks_asyncio_uvloop import STEP_NAMES, STEP_WRAPPER, WAKEUPS
from concurtrace.runner.hookset import HookSet, Sink
from concurtrace.runner.own_frames import unlink

_now = time.monotonic_ns


def install_run_hooks(hooks: HookSet, sink: Sink, state: State, light: bool) -> None:
    from asyncio import base_events, events

    orig_run = events.Handle._run
    # --light: no tracer whose ignore counter sink.call would lift: one frame less
    run: Any = orig_run if light else functools.partial(sink.call, orig_run)
    ids, unnamed, slow_ns = state.ids, state.unnamed, state.slow_ns
    ids_get = ids.get  # bound once: no method lookup per step
    row_ns = min(slow_ns, DUR_MAX + 1)  # a common row's duration fits its uint32
    ran, await_ids, is_task_type = steps.ran, steps.await_ids, steps.IS_TASK_TYPE
    pack_row = ROW.pack
    # the default mode names every await; --light WALKS a ms
    if light:
        state.walks = state.walks_per_ms = steps.WALKS

    def handle_run(self: Any) -> None:
        if not state.on:
            return orig_run(self)
        start = _now()
        try:
            run(self)
        except BaseException as error:  # KeyboardInterrupt, SystemExit
            unlink(error)
            steps.ran_safely(state, self, start, _now())
            raise
        end = _now()
        try:
            callback = self._callback
            owner: Any = getattr(callback, "__self__", None)
            # a task's own step, not another method of it (loop.call_soon(task.cancel));
            # a wakeup (an awaited future's completion scheduled it) is never its first
            # step, whose name create_task's caller may have set since
            if is_task_type[type(owner)]:  # learnt on a miss
                name = getattr(callback, "__name__", None)  # TaskStepMethWrapper: none
                # a C method's __name__ is a new str each time: == needs no hash of it
                wakeup = name == "task_wakeup" or name in WAKEUPS
                if not (wakeup or name in STEP_NAMES or type(callback).__name__ == STEP_WRAPPER):
                    if end - start >= slow_ns:
                        ran(state, self, start, end)
                    return None
                number = ids_get(id(owner))
                lp = ids_get(id(self._loop))
                if lp is None:
                    lp = steps.loop_number(state, self, start)
                dur = end - start
                waiter = owner._fut_waiter  # None: done, or a bare yield (sleep(0))
                if number is None or dur >= row_ns or not wakeup and number in unnamed \
                        or waiter is None and owner.done():  # its first, last or a slow
                    steps.stepped_rarely(state, owner, number, lp, start, end)  # step
                    return None
                # ids holds live tasks and loops (not None): a waiter found there is a task
                if state.walks:  # two loop threads may take it below 0: more walks, no
                    state.walks -= 1  # loss, until the next refill
                    kind_id, where_id, awt = await_ids(state, owner, waiter,
                                                       ids_get(id(waiter), 0))
                else:
                    kind_id, where_id, awt = UNNAMED_ID, 0, ids_get(id(waiter), 0)
                try:
                    tid = state.tids.tid
                except AttributeError:
                    tid = state.thread_id()
                try:  # the row's bytes first: a call between the list's read and its
                    row = pack_row(start, dur, tid, lp, number, kind_id, where_id, awt)
                except struct.error:  # append could let a flush in; out of a uint32
                    steps.stepped_rarely(state, owner, number, lp, start, end)
                    return None
                if len(state.flat) >= BATCH_ROWS:  # a batch that grows old: run_once's
                    state.flush()
                state.flat.append(row)  # one C call: no row lost to another thread's flush
            elif end - start >= slow_ns:
                ran(state, self, start, end)
        except Exception:  # noqa: BLE001 - a handle or task type of the program's we misread
            pass
        return None

    def timer_run(self: Any) -> None:
        if state.on:
            loop.timer_lag(state, self, _now())
        try:
            handle_run(self)
        except BaseException as error:
            unlink(error)
            raise

    orig_run_once = getattr(base_events.BaseEventLoop, "_run_once", None)

    def run_once(self: Any) -> None:
        if state.on:
            now = _now()
            if now >= state.next_sample:
                loop.loop_due(state, self, now)
        try:
            orig_run_once(self)  # type: ignore[misc]
        except BaseException as error:  # KeyboardInterrupt, SystemExit from a callback
            unlink(error)
            raise

    hooks.patch(events.Handle, "_run", handle_run)
    hooks.patch(events.TimerHandle, "_run", timer_run)
    if callable(orig_run_once):
        hooks.patch(base_events.BaseEventLoop, "_run_once", run_once)
