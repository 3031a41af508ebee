"""The multiprocessing sync patchers, by the module each one patches. Imported only when
the program first imports one of those modules (hooks_sync_mp_install.py): a process that
never uses multiprocessing's locks, queues or pipes does not load them."""

from __future__ import annotations

from concurtrace.runner.hooks_sync_mp_table import table
from concurtrace.runner.hookset import HookSet, Sink

TYPE_CHECKING = False  # not typing's: importing typing costs every process that uses mp
if TYPE_CHECKING:
    from typing import Any

# module patched -> (our module, its installer): only the one patched is imported, so a
# process where only multiprocessing.process is (VizTracer imports it in every traced
# process) does not load the hooks of queues, locks, pipes, pools and managers.
TARGETS: dict[str, tuple[str, str]] = {
    "multiprocessing.synchronize": ("hooks_sync_mp_patchers", "install_synchronize"),
    "multiprocessing.queues": ("hooks_sync_mp_queues", "install_queues"),
    "multiprocessing.managers": ("hooks_sync_mp_proxy", "install_proxies"),
    "multiprocessing.connection": ("hooks_sync_mp_patchers", "install_connections"),
    "multiprocessing.process": ("hooks_sync_mp_process", "install_process_waits"),
    "multiprocessing.pool": ("hooks_sync_mp_pool", "install_pool"),
    "concurrent.futures.process": ("hooks_sync_mp_cfpool", "install_process_pool")}


def install_synchronize(hooks: HookSet, sink: Sink, module: Any) -> None:
    from concurtrace.runner.hooks_sync_mp import install_semlock
    from concurtrace.runner.hooks_sync_mp_conditions import install_conditions

    install_semlock(hooks, sink, module)
    install_conditions(hooks, sink, module)


def install_connections(hooks: HookSet, sink: Sink, module: Any) -> None:
    from concurtrace.runner.hooks_sync_mp_connwait import install_wait
    from concurtrace.runner.hooks_sync_mp_listener import install_listener
    from concurtrace.runner.hooks_sync_mp_pipe import install_connection

    install_connection(hooks, sink, module)
    install_wait(hooks, sink, module)
    install_listener(hooks, sink, module)


def patch(hooks: HookSet, sink: Sink, name: str, module: Any) -> None:
    table.configure(getattr(sink, "session", None))  # the same path each time
    ours, installer = TARGETS[name]
    installers = __import__(f"concurtrace.runner.{ours}", fromlist=[installer])
    getattr(installers, installer)(hooks, sink, module)
