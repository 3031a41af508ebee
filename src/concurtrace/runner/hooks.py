"""Every patch of the standard library, in one place, with symmetric install/uninstall.

Each hook only observes: it calls the original with the same arguments, returns
its result, re-raises its exceptions, and writes one lifecycle record. Runs
inside the traced program; imports only the standard library.
"""

from __future__ import annotations

import _signal  # type: ignore[import-not-found]  # signal.py: see _install_signals
import _thread
import errno
import os
import sys
import threading
from collections.abc import Callable
from types import ModuleType

from concurtrace.model.records import (
    OWN_FDS,
    ExceptionRaised,
    ExecCall,
    ExitCall,
    ProcessStart,
    Reaped,
    SignalsIgnored,
    Terminate,
    ThreadExit,
    ThreadStart,
)
from concurtrace.runner.child_env import keep_site
from concurtrace.runner.hooks_asyncio_lazy import install_asyncio_lazily
from concurtrace.runner.hooks_dummy_names import install_dummy_names
from concurtrace.runner.hooks_mp import install_multiprocessing
from concurtrace.runner.hooks_profilers import install_profilers
from concurtrace.runner.hooks_sync import install_sync
from concurtrace.runner.hooks_sync_mp_install import install_sync_mp
from concurtrace.runner.hookset import HookSet, Sink, in_exit_function, now_ns, tid
from concurtrace.runner.import_watch import after_import
from concurtrace.runner.own_frames import (
    call_as_caller,
    clean_raise,
    is_own,
    threads_running,
    unlink,
    without_own,
)
from concurtrace.runner.stack_walk import install_stack_walk

TYPE_CHECKING = False  # not typing's: importing typing costs every traced process
if TYPE_CHECKING:
    from typing import Any

WAIT_FUNCS = ("waitpid", "wait", "wait3", "wait4")
FATAL_SIGNALS = (_signal.SIGTERM, _signal.SIGHUP)  # the ones our handler saves the trace for
# Signals that end a process by default and that another process sends (not SIGPIPE,
# which Python itself ignores): which of them the program ignores is recorded
# (SignalsIgnored), so a send of one it ignored is not read as handled.
IGNORABLE = tuple(getattr(_signal, name) for name in (
    "SIGTERM", "SIGINT", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2", "SIGALRM")
    if hasattr(_signal, name))


def ignored_now(getsignal: Callable[[int], Any]) -> list[int]:
    """The signals of IGNORABLE whose disposition is SIG_IGN now."""
    return [int(signum) for signum in IGNORABLE if getsignal(signum) == _signal.SIG_IGN]


def main_thread() -> bool:
    # Not current_thread(): in a thread started by _thread it would make a _DummyThread.
    return threading.get_ident() == threading.main_thread().ident


def install(sink: Sink) -> HookSet:
    hooks = HookSet()
    _install_threads(hooks, sink)
    _install_processes(hooks, sink)
    _install_waits(hooks, sink)
    _install_signals(hooks, sink)
    install_multiprocessing(hooks, sink)
    install_sync(hooks, sink)
    install_sync_mp(hooks, sink)
    install_asyncio_lazily(hooks, sink)
    install_stack_walk(hooks)
    if not getattr(sink, "config", {}).get("light", False):  # no function trace to yield
        install_profilers(hooks, sink)
        install_dummy_names(hooks)
    return hooks


def _install_threads(hooks: HookSet, sink: Sink) -> None:
    orig_start = threading.Thread.start
    orig_inner: Callable[[threading.Thread], None] = threading.Thread._bootstrap_inner  # type: ignore[attr-defined]

    # A Thread whose run starts on its starter's OS thread is a green thread (gevent's or
    # eventlet's monkey patching): its start and end are no thread's, so none is recorded.
    starters: dict[int, int] = {}

    def start(self: threading.Thread) -> None:
        ts, by = now_ns(), tid()
        starters[id(self)] = by
        try:
            sink.call(orig_start, self)
        except BaseException as error:
            unlink(error)  # and a bare raise: the traceback reads as without us
            raise
        finally:
            starters.pop(id(self), None)
        if self.native_id == by:
            return
        sink.write(ThreadStart(ev="thread_start", ts=now_ns(), start_ts=ts, tid=self.native_id,
                               by_tid=by, name=self.name, daemon=self.daemon))

    def bootstrap_inner(self: threading.Thread) -> None:
        green = starters.get(id(self)) == tid()
        try:
            sink.call(orig_inner, self)
        finally:
            if not green:
                sink.write(ThreadExit(ev="thread_exit", ts=now_ns(), tid=tid(), name=self.name,
                                      exc_type=sink.thread_exceptions.pop(tid(), None)))

    orig_excepthook = threading.excepthook

    def excepthook(args: Any) -> None:
        if _called_by_thread_bootstrap():  # not the program's own threading.excepthook(...)
            sink.thread_exceptions[tid()] = getattr(args.exc_type, "__name__", str(args.exc_type))
        if args.exc_value is not None:
            unlink(args.exc_value)
        without_own(args.exc_traceback)
        sink.call(orig_excepthook, args)

    def start_new_thread(function: Callable[..., Any], args: tuple[Any, ...],
                         kwargs: dict[str, Any] | None = None) -> int:
        ts = now_ns()

        by = tid()
        run = _ThreadRun(sink, function, ts, by)
        try:
            return int(sink.call(orig_new_thread, run, args, kwargs or {}))
        except BaseException as error:
            unlink(error)
            raise

    orig_new_thread = _thread.start_new_thread
    hooks.patch(threading.Thread, "start", start)
    hooks.patch(threading.Thread, "_bootstrap_inner", bootstrap_inner)
    hooks.patch(threading, "excepthook", excepthook)
    hooks.patch(_thread, "start_new_thread", start_new_thread)


class _ThreadRun:
    """What _thread runs for the program's function: a callable object, not a function, so
    that _thread's "Exception ignored in thread started by: ..." names the program's."""

    def __init__(self, sink: Sink, function: Callable[..., Any], start_ts: int, by: int) -> None:
        self.sink, self.function, self.start_ts, self.by = sink, function, start_ts, by

    def __repr__(self) -> str:
        return repr(self.function)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        sink, function = self.sink, self.function
        sink.write(ThreadStart(ev="thread_start", ts=now_ns(), start_ts=self.start_ts, tid=tid(),
                               by_tid=self.by,
                               name=f"_thread ({getattr(function, '__name__', '?')})",
                               daemon=True))
        exc: str | None = None
        ident = _thread.get_ident()
        sink.raw_threads[ident] = tid()  # named at the process's end if still running
        try:
            try:
                return sink.call(function, *args, **kwargs)
            except BaseException as error:
                exc = type(error).__name__
                unlink(error)
                hook_args = _unraisable_args(function, error)
                if hook_args is None:
                    raise
            _call_unraisable_hook(hook_args)  # out of the except, as _thread calls it
            return None
        finally:
            sink.raw_threads.pop(ident, None)
            sink.write(ThreadExit(ev="thread_exit", ts=now_ns(), tid=tid(), exc_type=exc))


def _unraisable_args(function: Callable[..., Any], error: BaseException) -> Any:
    """What _thread hands sys.unraisablehook for an exception of the function it ran, built
    here when the program has a hook of its own, so that its args.object is the program's
    function, not our _ThreadRun (CPython's test_thread checks `is`). None: leave it to
    _thread (SystemExit, which it ignores; the default hook, which prints our repr, the
    function's)."""
    hook = getattr(sys, "unraisablehook", None)
    if isinstance(error, SystemExit) or hook is None or hook is sys.__unraisablehook__:
        return None
    # The type is not exported; as a static subclass of tuple it is listed among tuple's.
    kind: Any = next((t for t in tuple.__subclasses__() if t.__name__ == "UnraisableHookArgs"
                      and t.__module__ == "builtins"), None)
    if kind is None:
        return None
    if sys.version_info >= (3, 13):  # PyErr_FormatUnraisable("... started by %R"): no object
        return kind((type(error), error, error.__traceback__,
                     f"Exception ignored in thread started by {function!r}", None))
    return kind((type(error), error, error.__traceback__,
                 "Exception ignored in thread started by", function))


def _call_unraisable_hook(args: Any) -> None:
    hook = sys.unraisablehook
    try:
        hook(args)
    except BaseException as error:  # noqa: BLE001 - as CPython: the default hook tells it
        unlink(error)
        sys.__unraisablehook__(type(args)((type(error), error, error.__traceback__,
                                           "Exception ignored in sys.unraisablehook", hook)))


def _install_processes(hooks: HookSet, sink: Sink) -> None:
    orig_fork = os.fork

    def fork() -> int:
        ts, by = now_ns(), tid()
        caller = sys._getframe(1)
        try:
            if sys.version_info >= (3, 12) and threads_running():
                # Its DeprecationWarning names the Python caller of the real os.fork: ours.
                pid = int(sink.call(call_as_caller, caller, orig_fork))
            else:
                pid = int(sink.call(orig_fork))
        except BaseException as error:
            unlink(error)
            raise
        if pid > 0:
            sink.write(ProcessStart(ev="process_start", ts=now_ns(), start_ts=ts, child=pid,
                                    tid=by, method="os.fork", name=None, daemon=None))
        return pid

    hooks.patch(os, "fork", fork)
    # subprocess when the program imports it: importing it here would cost every traced
    # process ~4 ms (selectors, locale, ...) and add it to what the program loaded.
    if "subprocess" in sys.modules:
        _install_popen(hooks, sink, sys.modules["subprocess"])
    else:
        after_import(hooks, "subprocess", lambda module: _install_popen(hooks, sink, module))
    for name in ("posix_spawn", "posix_spawnp"):
        if hasattr(os, name):
            hooks.patch(os, name, _spawn_hook(getattr(os, name), name, sink))

    orig_exit = os._exit

    def os_exit(status: int) -> None:  # its keyword, as the C function's
        sink.write(ExitCall(ev="exit_call", ts=now_ns(), how="os._exit", code=status))
        sink.finalize("os._exit")
        try:
            orig_exit(status)
        except BaseException as error:
            unlink(error)
            raise

    hooks.patch(os, "_exit", os_exit)
    orig_execv, orig_execve = os.execv, os.execve  # every os.exec* ends in one of them

    def execv(path: Any, argv: Any, /) -> Any:
        _exec_begins(sink, path, argv)
        try:
            return orig_execv(path, argv)
        except BaseException as error:
            unlink(error)
            raise

    def execve(path: Any, argv: Any, env: Any) -> Any:  # its keywords, as the C function's
        _exec_begins(sink, path, argv)
        try:  # env keeps our entry, as Popen's and posix_spawn's (runner/child_env.py)
            return orig_execve(path, argv, keep_site(env))
        except BaseException as error:
            unlink(error)
            raise

    hooks.patch(os, "execv", execv)
    hooks.patch(os, "execve", execve)


def _exec_begins(sink: Sink, path: Any, argv: Any) -> None:
    """os.execv / os.execve: this image ends there, its other threads with it and, unsaved,
    its function trace. Only for a path it can run: execvp tries each directory of PATH in
    turn, and a try that fails goes on untouched."""
    if argv and _can_run(path):
        sink.write(ExecCall(ev="exec", ts=now_ns(), tid=tid(), argv=_shown(path, argv)))
        sink.finalize("exec")


def _can_run(path: Any) -> bool:
    if isinstance(path, int):  # os.execve(fd, ...)
        return True
    try:
        return os.access(path, os.X_OK) and not os.path.isdir(path)
    except (TypeError, ValueError, OSError):
        return False


def _shown(path: Any, argv: Any) -> list[str]:
    """The program and its first arguments, as text, kept short."""
    try:
        words = [os.fsdecode(path) if not isinstance(path, int) else f"fd {path}",
                 *(os.fsdecode(a) for a in list(argv)[1:8])]
    except (TypeError, ValueError):
        return [repr(path)]
    return [w[:200] for w in words]


# shell's place in _execute_child(self, args, executable, preexec_fn, close_fds, pass_fds,
# cwd, env, startupinfo, creationflags, shell, ...), 3.10-3.13
ENV_AT, SHELL_AT = 5, 8


def _install_popen(hooks: HookSet, sink: Sink, subprocess: ModuleType) -> None:
    # Popen._execute_child, not __init__: __init__'s EncodingWarning counts its stacklevel by
    # walking back over subprocess.py's own frames, and a frame of ours between them made it
    # name our file instead of the program's line (test_subprocess.test_encoding_warning).
    orig_execute_child = subprocess.Popen._execute_child

    def execute_child(self: Any, args: Any, *a: Any, **kw: Any) -> None:
        ts = now_ns()
        if len(a) > ENV_AT:
            a = (*a[:ENV_AT], keep_site(a[ENV_AT]), *a[ENV_AT + 1:])
        elif "env" in kw:
            kw["env"] = keep_site(kw["env"])
        try:
            sink.call(orig_execute_child, self, args, *a, **kw)
        except BaseException as error:  # e.g. FileNotFoundError for a missing program
            unlink(error)
            raise
        cmd = [args] if isinstance(args, (str, bytes, os.PathLike)) else list(args)
        shell = a[SHELL_AT] if len(a) > SHELL_AT else kw.get("shell")
        sink.write(ProcessStart(ev="process_start", ts=now_ns(), start_ts=ts, child=self.pid,
                                tid=tid(), method="subprocess",
                                cmdline=[os.fsdecode(c) for c in cmd], shell=bool(shell)))

    hooks.patch(subprocess.Popen, "_execute_child", execute_child)


def _spawn_hook(orig: Callable[..., int], name: str, sink: Sink) -> Callable[..., int]:
    def spawn(path: Any, argv: Any, *a: Any, **kw: Any) -> int:
        ts = now_ns()
        if a:  # posix_spawn(path, argv, env, ...)
            a = (keep_site(a[0]), *a[1:])
        elif "env" in kw:
            kw["env"] = keep_site(kw["env"])
        try:
            pid: int = sink.call(orig, path, argv, *a, **kw)
        except BaseException as error:
            unlink(error)
            raise
        sink.write(ProcessStart(ev="process_start", ts=now_ns(), start_ts=ts, child=pid,
                                tid=tid(), method=name,
                                cmdline=[os.fsdecode(c) for c in argv]))
        return pid

    return spawn


def _install_waits(hooks: HookSet, sink: Sink) -> None:
    for name in WAIT_FUNCS:
        if hasattr(os, name):
            hooks.patch(os, name, _wait_hook(getattr(os, name), sink))
    orig_kill = os.kill

    def kill(pid: int, sig: int) -> None:
        ts = now_ns()
        if pid == os.getpid():
            _raised(sink, sig, "os.kill")  # before: a default disposition ends us in the call
        try:
            sink.call(orig_kill, pid, sig)
        except BaseException as error:  # e.g. ProcessLookupError
            unlink(error)
            raise
        if sig == 0 or pid == os.getpid() or sink.in_terminate:
            return
        sink.write(Terminate(ev="terminate", ts=now_ns(), start_ts=ts, child=pid, tid=tid(),
                             how="os.kill", signum=int(sig),
                             reason="daemon_cleanup" if in_exit_function() else _reason(sig)))

    hooks.patch(os, "kill", kill)


def _install_signal_sends(hooks: HookSet, sink: Sink, signal: ModuleType) -> None:
    orig_raise = signal.raise_signal

    def raise_signal(signalnum: int) -> None:
        _raised(sink, signalnum, "raise_signal")
        try:
            sink.call(orig_raise, signalnum)
        except BaseException as error:  # e.g. ValueError: its traceback as without us
            unlink(error)
            raise

    hooks.patch(signal, "raise_signal", raise_signal)
    if hasattr(signal, "pthread_kill"):
        hooks.patch(signal, "pthread_kill",
                    _pthread_kill_hook(signal.pthread_kill, sink, signal))


def _pthread_kill_hook(orig: Callable[[int, int], None], sink: Sink,
                       signal: ModuleType) -> Callable[[int, int], None]:
    """signal.pthread_kill signals a thread of this process: the process's own signal
    (CPython's test_socketserver read 'after SIGUSR1 from outside the traced tree')."""

    def pthread_kill(thread_id: int, signalnum: int) -> None:
        ts = now_ns()
        try:  # the call may end us (a default disposition): written before it, as os.kill's
            fatal = signal.getsignal(signalnum) in (signal.SIG_DFL, None)
        except (TypeError, ValueError, OverflowError):
            fatal = False  # its own error follows
        if fatal:
            _raised(sink, signalnum, "signal.pthread_kill")
        try:
            sink.call(orig, thread_id, signalnum)
        except BaseException as error:  # e.g. ProcessLookupError for a thread gone
            unlink(error)
            raise
        if not fatal:  # only once it went out (a thread gone sends nothing)
            _raised(sink, signalnum, "signal.pthread_kill", start_ts=ts)

    return pthread_kill


def _raised(sink: Sink, sig: int, how: str, depth: int = 2, start_ts: int | None = None) -> None:
    """A signal the process sends itself (uvicorn re-raises the SIGTERM it handled once its
    graceful shutdown is done), written before the send: what ended it, when it dies of it.
    depth: the program's frame, counted from here."""
    if not isinstance(sig, int) or sig == 0 or sink.in_terminate \
            or is_own(sys._getframe(depth).f_code.co_filename):  # (a bad argument: its own error)
        return  # (our own re-raise after the exit save is not the program's)
    me = os.getpid()
    ts = now_ns()
    sink.write(Terminate(ev="terminate", ts=ts, start_ts=ts if start_ts is None else start_ts,
                         child=me, tid=tid(), how=how, signum=int(sig), reason="raised"))


def _trips(getsignal: Callable[[int], Any], signum: int) -> bool:
    """_thread.interrupt_main(signum) will trip signum (as CPython's PyErr_SetInterruptEx:
    a valid signal whose handler is neither SIG_DFL nor SIG_IGN)."""
    try:
        handler = getsignal(signum)
    except (TypeError, ValueError, OverflowError):  # its own error follows, as without us
        return False
    return handler not in (_signal.SIG_DFL, _signal.SIG_IGN)


def _reason(sig: int) -> str:
    return "kill" if sig == _signal.SIGKILL else "terminate"


def _wait_hook(orig: Callable[..., Any], sink: Sink) -> Callable[..., Any]:
    def wait(*args: Any) -> Any:
        ts = now_ns()
        try:
            result = sink.call(orig, *args)
        except BaseException as error:  # e.g. ChildProcessError
            unlink(error)
            raise
        if isinstance(result, tuple) and len(result) >= 2 and result[0] > 0:
            sink.write(Reaped(ev="reaped", ts=now_ns(), start_ts=ts, child=result[0],
                              status=result[1], tid=tid(), implicit=in_exit_function()))
        return result

    return wait


def _install_signals(hooks: HookSet, sink: Sink) -> None:
    """Keep the program's view of signal dispositions as if we were not there.

    signal.py's functions are patched once the program imports it, not here: importing it
    (its enums) cost every traced process ~2.7 ms before the go. Until then nothing of the
    program can call them (signal.py's wrappers of _signal are all it has); _thread's
    interrupt_main and os's close are hooked at once."""
    if "signal" in sys.modules:  # the program's own sitecustomize or a .pth imported it
        _install_signal_module(hooks, sink, sys.modules["signal"])
    else:
        after_import(hooks, "signal",
                     lambda module: _install_signal_module(hooks, sink, module))
    orig_getsignal = _signal.getsignal
    orig_interrupt_main = _thread.interrupt_main

    def interrupt_main(signum: int = _signal.SIGINT, /) -> None:
        # It simulates a signal for Python-level handlers only, and does nothing when the
        # disposition is SIG_DFL, which is what the program sees where our handler is.
        if signum in FATAL_SIGNALS and sink.handles_signal(signum):
            return
        if _trips(orig_getsignal, signum):
            # Its C side writes signum into our wakeup pipe as a delivery would: without a
            # record it read 'after SIGINT from outside the traced tree' (test_threading).
            _raised(sink, signum, "_thread.interrupt_main", depth=3)
        sink.call(orig_interrupt_main, signum)

    hooks.patch(_thread, "interrupt_main", clean_raise(interrupt_main))
    _install_fd_closes(hooks, sink)


def _handlers(signal: ModuleType, handler: Any) -> Any:
    """What signal.signal returns for a raw _signal value (its Handlers for SIG_DFL and
    SIG_IGN), as this Python's signal.py converts it (its own _int_to_enum: before 3.13 it
    takes a repr of a handler that is not an int, from 3.13 on it must not: test_signal)."""
    convert = getattr(signal, "_int_to_enum", None)
    if convert is not None:
        return convert(handler, signal.Handlers)
    if not isinstance(handler, int):
        return handler
    try:
        return signal.Handlers(handler)
    except (ValueError, TypeError):
        return handler


def _install_signal_module(hooks: HookSet, sink: Sink, signal: ModuleType) -> None:
    orig_signal, orig_getsignal = signal.signal, signal.getsignal

    def getsignal(signum: int) -> Any:
        try:
            handler = orig_getsignal(signum)
        except BaseException as error:
            unlink(error)
            raise
        # == not `is`: each access to a bound method makes a new object.
        return signal.SIG_DFL if handler == sink.fatal_signal_handler else handler

    def set_signal(signum: int, handler: Any) -> Any:
        try:
            if signum in FATAL_SIGNALS and isinstance(handler, int) and handler == signal.SIG_DFL:
                # The default ends the process; ours does too (after saving the trace), so the
                # program's SIG_DFL keeps its meaning and the trace is not lost.
                previous = _handlers(signal, sink.default_disposition(signum)) \
                    if main_thread() else orig_signal(signum, handler)  # its ValueError
            else:
                previous = orig_signal(signum, handler)
        except BaseException as error:  # e.g. ValueError outside the main thread
            unlink(error)
            raise
        if (handler == _signal.SIG_IGN) != (previous == _signal.SIG_IGN) \
                and signum in IGNORABLE:  # (a handler's == with an int is False)
            sink.write(SignalsIgnored(ev="ignoring", ts=now_ns(),
                                      signums=ignored_now(_signal.getsignal)))
        return signal.SIG_DFL if previous == sink.fatal_signal_handler else previous

    orig_wakeup = signal.set_wakeup_fd

    def set_wakeup_fd(fd: int, /, *, warn_on_full_buffer: bool = True) -> int:
        if not main_thread():
            return int(orig_wakeup(fd, warn_on_full_buffer=warn_on_full_buffer))  # its ValueError
        return int(sink.set_wakeup_fd(fd, warn_on_full_buffer))

    hooks.patch(signal, "getsignal", getsignal)
    hooks.patch(signal, "signal", set_signal)
    hooks.patch(signal, "set_wakeup_fd", clean_raise(set_wakeup_fd))
    _install_signal_sends(hooks, sink, signal)


def _install_fd_closes(hooks: HookSet, sink: Sink) -> None:
    """Our fds (OWN_FDS: the record file, the wakeup pipe) stay open when the program
    closes fds, as a daemon closes them all: without us they would not be open, so
    os.close says EBADF and closerange passes over them; closed, the next file the program
    opened would take one's number and our records. A dup2() onto one is not kept off."""
    orig_close, orig_closerange = os.close, os.closerange

    def close(fd: int) -> None:
        if fd in OWN_FDS:
            raise OSError(errno.EBADF, os.strerror(errno.EBADF))
        sink.call(orig_close, fd)

    def closerange(fd_low: int, fd_high: int) -> None:
        low = fd_low
        for own in sorted(fd for fd in OWN_FDS if fd_low <= fd < fd_high):
            sink.call(orig_closerange, low, own)
            low = own + 1
        sink.call(orig_closerange, low, fd_high)

    hooks.patch(os, "close", clean_raise(close))
    hooks.patch(os, "closerange", clean_raise(closerange))
    orig_excepthook = sys.excepthook

    def excepthook(exc_type: type[BaseException], value: BaseException, tb: Any) -> None:
        # The interpreter reports an uncaught exception from C, with no Python frame left;
        # a Python caller is the program reporting an error it handled (or IDLE, code.py).
        sink.write(ExceptionRaised(ev="exception", ts=now_ns(), exc_type=exc_type.__name__,
                                   tid=tid(),
                                   caller="program" if _has_python_caller() else "interpreter"))
        if value is not None:
            unlink(value)  # on 3.10 a hook's own entry is still in the chain: it goes here
        sink.call(orig_excepthook, exc_type, value, without_own(tb))

    hooks.patch(sys, "excepthook", excepthook)


def _has_python_caller() -> bool:
    """True when the hook that calls this was itself called from Python code."""
    try:
        sys._getframe(2)
    except ValueError:
        return False
    return True


def _called_by_thread_bootstrap() -> bool:
    """True when threading.excepthook was called by threading for an uncaught exception."""
    try:
        caller = sys._getframe(2).f_code
    except ValueError:
        return True
    return caller.co_name == "invoke_excepthook" and caller.co_filename.endswith("threading.py")
