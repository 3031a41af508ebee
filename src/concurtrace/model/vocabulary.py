"""The closed vocabularies every stage shares: thread states, finding kinds, GIL methods.

A new thread state is one row of THREAD_STATES (and its key in StateKey); a new finding
kind is one name in FindingKind plus its rule (model/findings.py). See docs/architecture.md.
"""

from __future__ import annotations

from typing import Literal, get_args

from concurtrace.model.plain import FrozenPlain

# Keys of the JSON summary's `states_ns`, in the order the summary lists them.
StateKey = Literal["running", "runqueue", "gil", "lock", "sleep", "io", "child", "other"]


class ThreadState(FrozenPlain):
    key: StateKey
    slice_name: str  # the exact slice name on "<thread> state" tracks (docs/timeline.md)
    short: str  # the summary's thread tables
    active: bool  # running Python or queued for a CPU; every other state is blocked
    doing: str  # "Thread 'w' was stopped while <doing>" (model/sentences.py)

    __slots__ = ("key", "slice_name", "short", "active", "doing")

    def __init__(self, key: StateKey, slice_name: str, short: str, active: bool,
                 doing: str) -> None:
        self.key = key
        self.slice_name = slice_name
        self.short = short
        self.active = active
        self.doing = doing


THREAD_STATES: tuple[ThreadState, ...] = (
    ThreadState("running", "running", "run", True, "running"),
    ThreadState("runqueue", "waiting for CPU", "cpu-wait", True, "running"),
    ThreadState("gil", "waiting for GIL", "GIL", False, "waiting for the GIL"),
    ThreadState("lock", "waiting for lock", "lock", False, "waiting for a lock"),
    ThreadState("sleep", "sleeping", "sleep", False, "sleeping"),
    ThreadState("io", "I/O", "I/O", False, "in I/O"),
    ThreadState("child", "waiting for child", "child", False, "waiting for a child"),
    ThreadState("other", "other", "other", False, "blocked"),
)
STATES: dict[str, ThreadState] = {state.key: state for state in THREAD_STATES}
STATE_KEYS: tuple[StateKey, ...] = tuple(state.key for state in THREAD_STATES)
STATE_BY_NAME: dict[str, StateKey] = {state.slice_name: state.key for state in THREAD_STATES}
ACTIVE_STATES: frozenset[str] = frozenset(s.key for s in THREAD_STATES if s.active)
assert STATE_KEYS == get_args(StateKey), "THREAD_STATES and StateKey list the same keys"


def state_key(label: str) -> StateKey:
    """The StateKey a string names; anything else is a bug of the caller (KeyError)."""
    return STATES[label].key


FindingKind = Literal[
    "killed_before_trace",
    "daemon_process_terminated",
    "nonzero_exit",
    "native_exit",
    "orphan_still_running",
    "child_not_joined",
    "thread_stopped",
    "daemon_thread_abandoned",
    "thread_exception",
    "gil_contention",
    "lock_contention",
    "deadlock",
    "stalled",
    "lock_held_while_blocking",
    "queue_bottleneck",
    "event_loop_blocked",
    "task_exception_unretrieved",
    "task_pending_at_exit",
    "task_never_awaited",
]

# How the sampler told GIL wait from other futex waits (the summary's `gil_method`).
GilMethod = Literal["none", "schedstat-only", "proc-syscall"]
