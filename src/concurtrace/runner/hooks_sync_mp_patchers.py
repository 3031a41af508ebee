"""The multiprocessing sync patchers, by the module each one patches. Imported only when
the program first imports one of those modules (hooks_sync_mp_install.py): a process that
never uses multiprocessing's locks, queues or pipes does not load them."""

from __future__ import annotations

from collections.abc import Callable

from concurtrace.runner.hooks_sync_mp import install_semlock
from concurtrace.runner.hooks_sync_mp_cfpool import install_process_pool
from concurtrace.runner.hooks_sync_mp_conditions import install_conditions
from concurtrace.runner.hooks_sync_mp_connwait import install_wait
from concurtrace.runner.hooks_sync_mp_listener import install_listener
from concurtrace.runner.hooks_sync_mp_pipe import install_connection
from concurtrace.runner.hooks_sync_mp_pool import install_pool
from concurtrace.runner.hooks_sync_mp_process import install_process_waits
from concurtrace.runner.hooks_sync_mp_proxy import install_proxies
from concurtrace.runner.hooks_sync_mp_queues import install_queues
from concurtrace.runner.hooks_sync_mp_table import table
from concurtrace.runner.hookset import HookSet, Sink

TYPE_CHECKING = False  # not typing's: importing typing costs every process that uses mp
if TYPE_CHECKING:
    from typing import Any

    Patcher = Callable[[HookSet, Sink, Any], None]


def install_synchronize(hooks: HookSet, sink: Sink, module: Any) -> None:
    install_semlock(hooks, sink, module)
    install_conditions(hooks, sink, module)


def install_connections(hooks: HookSet, sink: Sink, module: Any) -> None:
    install_connection(hooks, sink, module)
    install_wait(hooks, sink, module)
    install_listener(hooks, sink, module)


TARGETS: dict[str, Patcher] = {"multiprocessing.synchronize": install_synchronize,
                               "multiprocessing.queues": install_queues,
                               "multiprocessing.managers": install_proxies,
                               "multiprocessing.connection": install_connections,
                               "multiprocessing.process": install_process_waits,
                               "multiprocessing.pool": install_pool,
                               "concurrent.futures.process": install_process_pool}


def patch(hooks: HookSet, sink: Sink, name: str, module: Any) -> None:
    table.configure(getattr(sink, "session", None))  # the same path each time
    TARGETS[name](hooks, sink, module)
