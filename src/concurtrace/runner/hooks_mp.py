"""multiprocessing hooks, installed when the program first imports multiprocessing.

Importing multiprocessing eagerly would change the program (import time, modules
loaded), so runner/import_watch.py patches multiprocessing.process right after the
program's own import of it executes.
"""

from __future__ import annotations

import _signal as signal  # type: ignore[import-not-found]  # no enums (hooks.py)
import sys
import threading
from types import CodeType, ModuleType

from concurtrace.model.records import ExceptionRaised, ExitCall, Join, ProcessStart, Role, Terminate
from concurtrace.runner.hookset import HookSet, Sink, in_exit_function, now_ns, tid
from concurtrace.runner.import_watch import after_import
from concurtrace.runner.own_frames import unlink

TYPE_CHECKING = False  # not typing's: importing typing costs every traced process
if TYPE_CHECKING:
    from typing import Any

TARGET = "multiprocessing.process"


def install_multiprocessing(hooks: HookSet, sink: Sink) -> None:
    module = sys.modules.get(TARGET)
    if module is not None:
        patch_process_class(hooks, sink, module)
        return
    after_import(hooks, TARGET, lambda loaded: patch_process_class(hooks, sink, loaded))


def patch_process_class(hooks: HookSet, sink: Sink, module: ModuleType) -> None:
    base: Any = module.BaseProcess
    orig_start, orig_join, orig_boot = base.start, base.join, base._bootstrap
    local = threading.local()

    def start(self: Any) -> None:
        ts = now_ns()
        try:
            sink.call(orig_start, self)
        except BaseException as error:
            unlink(error)  # and a bare raise: the traceback reads as without us
            raise
        popen = getattr(self, "_popen", None)
        sink.write(ProcessStart(ev="process_start", ts=now_ns(), start_ts=ts, child=self.pid,
                                tid=tid(), name=self.name, daemon=self.daemon,
                                method=getattr(popen, "method", None)))

    def make_stopper(how: str) -> Any:
        orig = getattr(base, how)
        signum = int(signal.SIGKILL if how == "kill" else signal.SIGTERM)  # as Popen sends

        def stop(self: Any) -> None:
            reason = "daemon_cleanup" if in_exit_function() else how
            record = self.pid is not None and self.exitcode is None
            ts = now_ns()
            local.active = True
            try:
                sink.call(orig, self)
            except BaseException as error:
                unlink(error)
                raise
            finally:
                local.active = False
            if record:
                sink.write(Terminate(ev="terminate", ts=now_ns(), start_ts=ts, child=self.pid,
                                     tid=tid(), how=how, reason=reason, signum=signum))

        return stop

    def join(self: Any, timeout: float | None = None) -> None:
        ts = now_ns()
        try:
            sink.call(orig_join, self, timeout)
        except BaseException as error:
            unlink(error)
            raise
        if self.exitcode is not None and self.pid is not None:
            sink.write(Join(ev="join", ts=now_ns(), start_ts=ts, child=self.pid,
                            tid=tid(), exitcode=self.exitcode,
                            implicit=in_exit_function()))  # multiprocessing's own exit join

    def bootstrap(self: Any, /, *args: Any, **kwargs: Any) -> int:
        target = getattr(self, "_target", None)
        sink.write(Role(ev="role", ts=now_ns(), name=self.name, daemon=self.daemon,
                        method=self._start_method, parent_pid=getattr(self, "_parent_pid", None),
                        target=f"{getattr(target, '__module__', '')}."
                               f"{getattr(target, '__qualname__', '')}" if target else None))
        run = self.run

        def run_recorded() -> None:
            try:
                sink.call(run)
            except SystemExit:
                raise
            except BaseException as error:
                sink.write(ExceptionRaised(ev="exception", ts=now_ns(), tid=tid(),
                                           exc_type=type(error).__name__))
                unlink(error)
                raise

        if sys.version_info >= (3, 11):
            self.run = run_recorded
        else:  # 3.10 would print run_recorded's frame: watch from _exit_function instead
            _watch_run_from_exit_function(hooks, sink, orig_boot.__code__)
        code: int = sink.call(orig_boot, self, *args, **kwargs)
        sink.write(ExitCall(ev="exit_call", ts=now_ns(), how="return", code=code))
        return code

    sink.terminate_flag = local  # os.kill hook skips what terminate()/kill() already recorded
    hooks.patch(base, "start", start)
    hooks.patch(base, "terminate", make_stopper("terminate"))
    hooks.patch(base, "kill", make_stopper("kill"))
    hooks.patch(base, "join", join)
    hooks.patch(base, "_bootstrap", bootstrap)


def _watch_run_from_exit_function(hooks: HookSet, sink: Sink, boot_code: CodeType) -> None:
    """On 3.10 a frame of ours between _bootstrap and run() stays in the traceback that
    _bootstrap prints (RERAISE restores the traceback saved on entry to the handler), so
    run() is not wrapped. _bootstrap calls util._exit_function() in a `finally` right
    after run(): an exception in flight there is run()'s."""
    from multiprocessing import util as util_module  # _bootstrap imports it next anyway

    util: Any = util_module  # _exit_function is private: not in the stubs
    orig_exit_function = util._exit_function
    outer = sys.exc_info()[1]  # a fork child inherits what its parent was handling

    def exit_function(*args: Any, **kwargs: Any) -> Any:
        error = sys.exc_info()[1]
        if (sys._getframe(1).f_code is boot_code and error is not None and error is not outer
                and not isinstance(error, SystemExit)):
            sink.write(ExceptionRaised(ev="exception", ts=now_ns(), tid=tid(),
                                       exc_type=type(error).__name__))
        return orig_exit_function(*args, **kwargs)

    hooks.patch(util, "_exit_function", exit_function)
