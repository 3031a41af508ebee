"""What `task_pending_at_exit` says of a task still pending when its process ended: what it
awaited, and why it never finished (the program went on without it, the program was stuck,
or something killed its process while it waited)."""

from __future__ import annotations

import os
import re

from concurtrace.model.sentences import RUN_STOPS
from concurtrace.model.task_types import Task
from concurtrace.model.timeline import Process, Timeline

# awaits that only another task (or a callback) of the program ends: a release, set,
# notify or put (asyncio.locks and asyncio.queues' classes, named by class, subclasses too)
WAKE_AWAITS = re.compile(r"\w*(Lock|Event|Condition|Semaphore|Queue|Barrier)\."
                         r"(acquire|wait|wait_for|get|put|join)$")


def short_site(site: str | None) -> str:
    if not site:
        return "?"
    path, _, line = site.rpartition(":")
    return f"{os.path.basename(path)}:{line}"


def last_await(task: Task) -> str | None:
    """What the task awaited after its last step, and where ("Lock.acquire at app.py:5")."""
    if not task.steps or not task.steps[-1].awaits:
        return None
    last = task.steps[-1]
    return f"{last.awaits} at {short_site(last.at)}" if last.at else last.awaits


def killed_by(timeline: Timeline, proc: Process | None) -> str | None:
    """"SIGTERM (terminate() from MainProcess)" when a signal that was not concurtrace's stop
    of the run ended the process: its tasks could not finish, stuck or not (hypercorn's master
    terminate()s the worker still serving at shutdown). None otherwise."""
    if proc is None or not proc.signal:
        return None
    killer = proc.terminated_by
    if killer is not None and killer.reason in RUN_STOPS:
        return None  # the program was still running, or stuck, when concurtrace stopped it
    if killer is not None and killer.reason in ("terminate", "kill"):
        sender = timeline.processes.get(killer.pid) if killer.pid is not None else None
        return f"{proc.signal} ({killer.reason}() from {sender.name if sender else 'pid ?'})"
    if killer is not None and killer.reason == "raised":
        return f"{proc.signal} (raised by itself)"
    return proc.signal


def pending_when(root_end: int | None, killed: str | None, root: Task | None = None) -> str:
    if root_end is not None:
        return "the main coroutine " + main_ended(root)
    return f"{killed} ended its process" if killed else "its process stopped"


def main_ended(root: Task | None) -> str:
    """How the main coroutine ended: "returned", "raised KeyError", "was cancelled"."""
    if root is not None and root.outcome == "exception":
        return f"raised {root.exc}" if root.exc else "raised"
    if root is not None and root.outcome == "cancelled":
        return "was cancelled"
    return "returned"


def pending_advice(task: Task, root_end: int | None, killed: str | None) -> str:
    if root_end is not None:  # the program went on without it
        return ("Await it (or gather/TaskGroup) before returning, or cancel it and await the "
                "cancellation yourself so its cleanup runs where you expect.")
    if killed:
        return ("Its process was killed while the task waited, so no task could finish: "
                "expected if it was stopped on purpose; see what each task awaited.")
    awaits = task.steps[-1].awaits if task.steps else None
    if awaits and WAKE_AWAITS.match(awaits):
        return ("The main coroutine never returned and this task still waited for another "
                "to release, set or fill what it awaited: two tasks that each hold the lock "
                "the other wants wait forever. Await with asyncio.timeout(...) to find it.")
    return ("The main coroutine never returned: the program was still running (or stuck) "
            "when its process stopped; see what each task awaited.")
