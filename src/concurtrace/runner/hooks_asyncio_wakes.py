"""Who woke a task waiting on an asyncio Lock, Event, Condition, Semaphore or Queue.

Their waiters are futures the objects keep (C futures, whose set_result cannot be
hooked); the objects' own Python methods set them: Lock._wake_up_first,
Semaphore._wake_up_next, Event.set, Condition.notify, Queue._wakeup_next (a put waking
a getter, a get a putter). Each hook reads the waiting tasks before (a future's done
callback is its task's wakeup) and writes an "awake" record for each whose future the
call completed: the woken task, the task whose step made the call (None: a plain
callback), and the call. Nothing runs when no task waits.
"""

from __future__ import annotations

import functools
import time

from concurtrace.runner.hooks_asyncio_state import State
from concurtrace.runner.hookset import HookSet, Sink
from concurtrace.runner.own_frames import clean_raise

TYPE_CHECKING = False  # not typing's: importing typing costs every traced process
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

_now = time.monotonic_ns


def _task_of(future: Any, task_types: tuple[type, ...]) -> Any:
    for callback, *_ in getattr(future, "_callbacks", None) or ():
        owner = getattr(callback, "__self__", None)
        if isinstance(owner, task_types):
            return owner
    return None


def _waking(sink: Sink, state: State, orig: Callable[..., Any], op: str,
            waiters_of: Callable[[Any, tuple[Any, ...]], Any], task_types: tuple[type, ...],
            current_task: Callable[[], Any], light: bool) -> Callable[..., Any]:
    # full mode: through sink.call, so VizTracer still traces the original's calls
    run: Any = orig if light else functools.partial(sink.call, orig)

    def hook(self: Any, /, *args: Any) -> Any:
        waiters = waiters_of(self, args) if state.on else None
        if not waiters:
            return run(self, *args)
        try:
            waiting = [(f, _task_of(f, task_types)) for f in waiters if not f.done()]
        except Exception:  # noqa: BLE001 - a waiter of the program's we misread
            waiting = []
        result = run(self, *args)
        if waiting:  # a Queue's put wakes a getter, its get a putter
            done = op if op != "Queue" else "Queue.put" if waiters is getattr(
                self, "_getters", None) else "Queue.get"
            _record(sink, state, done, waiting, current_task)
        return result

    return hook


def _record(sink: Sink, state: State, op: str, waiting: list[tuple[Any, Any]],
            current_task: Callable[[], Any]) -> None:
    ts = _now()
    try:
        waker = current_task()
    except RuntimeError:  # no running loop in this thread
        waker = None
    by = state.ids.get(id(waker)) if waker is not None else None
    tid = state.thread_id()
    for future, task in waiting:
        if task is not None and future.done():
            sink.write({"ev": "awake", "ts": ts, "tid": tid,
                        "task": state.task_id(task)[0], "by": by, "op": op})


def install_wakes(hooks: HookSet, sink: Sink, state: State,
                  task_types: tuple[type, ...], light: bool) -> None:
    from asyncio import locks, queues, tasks

    current: Callable[[], Any] = tasks.current_task

    def own(self: Any, _args: tuple[Any, ...]) -> Any:
        return getattr(self, "_waiters", None)

    def given(_self: Any, args: tuple[Any, ...]) -> Any:
        return args[0] if args else None

    for owner, method, op, waiters_of in (
            (locks.Lock, "_wake_up_first", "Lock.release", own),
            (locks.Semaphore, "_wake_up_next", "Semaphore.release", own),
            (locks.Event, "set", "Event.set", own),
            (locks.Condition, "notify", "Condition.notify", own),
            (queues.Queue, "_wakeup_next", "Queue", given)):
        orig = getattr(owner, method, None)
        if callable(orig):
            hooks.patch(owner, method, clean_raise(
                _waking(sink, state, orig, op, waiters_of, task_types, current, light)))
