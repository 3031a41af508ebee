"""multiprocessing Condition, Event and Barrier: a waiter blocks on the Condition's wait
semaphore (a SemLock, observed by hooks_sync_mp), which this marks as the Condition's,
Event's or Barrier's, with its owner's label; the other semaphores and the Event's and
Barrier's own lock are multiprocessing's bookkeeping (never recorded). A spawn child
marks what it unpickles again, without a label of its own (the creator's names it).
"""

from __future__ import annotations

from concurtrace.runner.hooks_sync_mp import creation_site, patch_method, tag
from concurtrace.runner.hookset import HookSet, Sink

TYPE_CHECKING = False  # not typing's: importing typing costs every process that uses mp
if TYPE_CHECKING:
    from typing import Any


def install_conditions(hooks: HookSet, sink: Sink, module: Any) -> None:
    """Condition, Event and Barrier: their wait semaphore is what a waiter blocks on."""
    cond_init, event_init, barrier_init = (module.Condition.__init__, module.Event.__init__,
                                           module.Barrier.__init__)

    def condition(self: Any, /, *args: Any, **kwargs: Any) -> None:
        cond_init(self, *args, **kwargs)
        mark_condition(sink, self, "mp.Condition", self)

    def event(self: Any, /, *args: Any, **kwargs: Any) -> None:
        event_init(self, *args, **kwargs)
        mark_condition(sink, self._cond, "mp.Event", self, lock_internal=True)

    def barrier(self: Any, /, *args: Any, **kwargs: Any) -> None:
        barrier_init(self, *args, **kwargs)
        mark_condition(sink, self._cond, "mp.Barrier", self, lock_internal=True)

    cond_setstate, barrier_setstate = module.Condition.__setstate__, module.Barrier.__setstate__

    def condition_unpickled(self: Any, state: Any) -> None:
        cond_setstate(self, state)  # in a spawn child: the waiter's code names this object
        mark_condition(sink, self, "mp.Condition", self, unpickled=True)

    def barrier_unpickled(self: Any, state: Any) -> None:
        barrier_setstate(self, state)
        mark_condition(sink, self._cond, "mp.Barrier", self, lock_internal=True,
                       unpickled=True)

    patch_method(hooks, module.Condition, "__setstate__", condition_unpickled)
    patch_method(hooks, module.Barrier, "__setstate__", barrier_unpickled)
    patch_method(hooks, module.Condition, "__init__", condition)
    patch_method(hooks, module.Event, "__init__", event)
    patch_method(hooks, module.Barrier, "__init__", barrier)


def mark_condition(sink: Sink, cond: Any, kind: str, owner: Any,
                   lock_internal: bool = False, unpickled: bool = False) -> None:
    site = None if unpickled else creation_site()
    try:
        if owner.__dict__.get("_concurtrace_site") is None:  # mp.Barrier unpickles itself
            owner.__dict__["_concurtrace_site"] = site
    except (AttributeError, TypeError):
        pass
    tag(sink, cond._wait_semaphore, kind, owner, unpickled=unpickled)
    tag(sink, cond._sleeping_count, "Semaphore", owner, internal=True, unpickled=unpickled)
    tag(sink, cond._woken_count, "Semaphore", owner, internal=True, unpickled=unpickled)
    if lock_internal:
        tag(sink, cond._lock, "RLock" if "RLock" in type(cond._lock).__name__ else "Lock",
            owner, internal=True, unpickled=unpickled)
