"""The main thread's last wait: threading's shutdown joining the non-daemon threads.

The interpreter waits there in C (a lock that is not ours, or _thread._shutdown on
3.13), so no wait record would say that the main thread, done, can no longer release a
lock or fill a queue: the live deadlock detector (runner/livedeadlock.py) would take it
for a thread that runs. A function registered with threading._register_atexit runs at
the start of that shutdown, right before the wait, and returns: it writes "exit_wait"
(ts, tid, threads: the native ids of the non-daemon threads it will wait for; the model
makes it a wait, model/sync_exit.py) and is on no stack while the program waits, so no
traceback changes.
"""

from __future__ import annotations

import threading

from concurtrace.runner.hookset import HookSet, Sink, now_ns, tid

TYPE_CHECKING = False  # not typing's: importing typing costs every traced process
if TYPE_CHECKING:
    from typing import Any


def install_exit_wait(hooks: HookSet, sink: Sink) -> None:
    register = getattr(threading, "_register_atexit", None)
    calls: list[Any] | None = getattr(threading, "_threading_atexits", None)
    if register is None or calls is None:
        return

    def waiting_for_threads() -> None:
        me = threading.current_thread()
        if me is not threading.main_thread():
            return
        waited = [t.native_id for t in threading.enumerate()
                  if t is not me and not t.daemon and t.is_alive()]
        if waited:  # threads it waits for (the model ends the wait at the last one's end)
            sink.write({"ev": "exit_wait", "ts": now_ns(), "tid": tid(), "threads": waited})

    try:
        register(waiting_for_threads)
    except RuntimeError:  # the shutdown has begun
        return
    ours = calls[-1]

    def unregister() -> None:
        if ours in calls:
            calls.remove(ours)

    hooks.on_uninstall(unregister)
