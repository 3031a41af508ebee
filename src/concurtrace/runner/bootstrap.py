"""Child side: runs first in every traced Python process (from sitecustomize).

Writes lifecycle records, installs the hooks, starts VizTracer, and at the very
end (last atexit handler, os._exit, or a fatal signal) marks abandoned threads
and saves the function trace. Imports only the standard library, viztracer and
concurtrace.model/runner hooks: it runs inside the user's program.
"""

from __future__ import annotations

# _signal, not signal: signal.py's enums cost every traced process ~2.7 ms; the hooks patch
# signal.py's functions when the program imports it (hooks._install_signals)
import _signal as signal  # type: ignore[import-not-found]
import atexit
import os
import sys
import threading
from collections.abc import Callable
from types import FrameType

from concurtrace.model.jsonline import loads
from concurtrace.model.records import (
    Finalize,
    Hello,
    RecordWriter,
    SignalReceived,
    SignalsIgnored,
    ThreadAbandoned,
    TraceError,
    TraceSaved,
    TraceStopped,
)
from concurtrace.model.segments import SYNC_EVENTS
from concurtrace.runner import hooks as hooks_module
from concurtrace.runner.hookset import HookSet, SinkRecord, now_ns, tid
from concurtrace.runner.own_frames import OWN_DIRS
from concurtrace.runner.sigwatch import ResetHand, SignalWatch
from concurtrace.runner.syncbuffer import SegmentWriter

TYPE_CHECKING = False  # not typing's: importing typing costs every traced process
if TYPE_CHECKING:
    from typing import Any

FATAL_SIGNALS = hooks_module.FATAL_SIGNALS
STACK_LIMIT = 30


class Recorder:
    def __init__(self, session: str, config: dict[str, Any]) -> None:
        self.session, self.config = session, config
        self.thread_exceptions: dict[int, str] = {}
        self.raw_threads: dict[int, int] = {}  # _thread's threads alive: ident -> native tid
        self.terminate_flag: threading.local | None = None
        self.tracer: Any = None
        self.writer: RecordWriter | None = None
        self.sync_writer: SegmentWriter | None = None  # the sync records: no GIL release
        self.hooks: HookSet | None = None
        self.finalized = False
        self.tracer_stop_told = False  # VizTracer's own stop, seen by its warning
        self.fork_tid = 0  # in a fork child: the tid VizTracer keeps for its only thread
        # VizTracer never refreshes a thread's tid after fork: (real tid, VizTracer's tid) of
        # the thread that came through our fork, so a fork of a fork names the right one.
        self.survivor: tuple[int, int] | None = None
        self.trace_path = ""
        self._defaulted: list[int] = []  # fatal signals set to SIG_DFL around a fork
        self._raw_getsignal = signal.getsignal  # before our hooks translate them
        self._raw_signal = signal.signal
        self.resethand = ResetHand()
        self.signal_watch = SignalWatch(session, signal.set_wakeup_fd)
        self.dying = 0  # the fatal signal our handler is dying by
        self.saving_thread = 0  # while finalize saves: the thread it runs in

    @property
    def in_terminate(self) -> bool:
        return bool(getattr(self.terminate_flag, "active", False))

    def is_tracer(self, obj: Any) -> bool:
        return obj is not None and obj is self.tracer

    def profiler_starts(self, name: str) -> None:
        """The program starts a profiler of its own (runner/hooks_profilers.py): from here
        our function trace has no calls (3.12+: for the whole process, VizTracer stepping
        aside; before: in this thread), which the trace says."""
        tracer = self.tracer
        if tracer is None or not getattr(tracer, "enable", False):
            return
        if sys.version_info >= (3, 12):
            self.write(TraceStopped(ev="trace_stopped", ts=now_ns(), profiler=name))
            tracer.stop()  # frees its sys.monitoring tool: the program's call then gets it
        elif sys.getprofile() is tracer:  # a profile function is per thread
            self.write(TraceStopped(ev="trace_stopped", ts=now_ns(), profiler=name, tid=tid()))

    def tracer_stops_itself(self) -> None:
        """VizTracer warned 'Unexpected function return, tracing is stopped' (kept out of
        the program's stderr by runner/hooks_profilers.py): the trace says from when."""
        if not self.tracer_stop_told:
            self.tracer_stop_told = True
            self.write(TraceStopped(ev="trace_stopped", ts=now_ns(), tid=tid()))

    def call(self, function: Any, *args: Any, **kwargs: Any) -> Any:
        tracer = self.tracer
        if tracer is None or (sys.version_info < (3, 12) and sys.getprofile() is None):
            # Not profiled yet (a new thread before threading installs the profiler):
            # nothing of ours is being ignored, and the counter call would not be seen.
            return function(*args, **kwargs)
        # Our frames are excluded from the trace, and VizTracer then ignores their whole
        # subtree: lift that for the original call, so only our bookkeeping is hidden.
        previous = tracer.setignorestackcounter(0)
        try:
            return function(*args, **kwargs)
        finally:
            tracer.setignorestackcounter(previous)

    def write(self, record: SinkRecord) -> None:
        sync = self.sync_writer
        if sync is not None and record.get("ev") in SYNC_EVENTS:
            sync.write(record)
        else:
            self._write_line(record)

    def write_ascii(self, record: SinkRecord, key: str, text: str) -> None:
        """A lifecycle-file record with record[key] = text, ASCII needing no JSON escaping
        (the asyncio hooks' base64 step rows): RecordWriter.write_ascii."""
        if self.writer is not None:
            record.setdefault("pid", os.getpid())
            self.writer.write_ascii(record, key, text)

    def _write_line(self, record: SinkRecord) -> None:
        if self.writer is not None:
            record.setdefault("pid", os.getpid())
            self.writer.write(record)

    def _open(self, origin: str) -> None:
        pid, stamp = os.getpid(), now_ns()
        if self.writer is None or origin != "fork":
            self.writer = RecordWriter(os.path.join(self.session, f"life-{pid}-{stamp}.jsonl"))
        # else a fork child appends to the life file it inherited (O_APPEND: each record one
        # write, whole; every record carries its pid): no file of its own to create, an
        # O_CREAT that cost each pool worker ~0.1-0.3 ms of CPU on ext4 (bench/README.md)
        self.trace_path = os.path.join(self.session, f"trace-{pid}-{stamp}.json")
        if self.config.get("sync", True):
            forked = origin == "fork"  # its first segment when needed (syncbuffer.py)
            self.sync_writer = SegmentWriter(self.session, pid, stamp, self._write_line,
                                             defer=forked)
            if not forked:
                self.sync_writer.prepare()
        gil_disabled = bool(getattr(sys, "_is_gil_enabled", lambda: True)() is False)
        self.write(Hello(ev="hello", ts=stamp, ppid=os.getppid(), origin=origin,
                         argv=list(getattr(sys, "orig_argv", sys.argv)), exe=sys.executable,
                         python=".".join(map(str, sys.version_info[:3])),
                         gil="disabled" if gil_disabled else "enabled", main_tid=tid(),
                         # after a fork from a worker thread, Python keeps that thread's name
                         thread_name=threading.current_thread().name,
                         fork_tid=self.fork_tid if origin == "fork" else None,
                         traced=True, functions=not self.config.get("light", False)))
        ignored = hooks_module.ignored_now(self._raw_getsignal)  # inherited, or the forking
        if ignored:  # process's (a fork child's records start afresh from its hello)
            self.write(SignalsIgnored(ev="ignoring", ts=stamp, signums=ignored))

    def start(self) -> None:
        self._open("exec")
        self.hooks = hooks_module.install(self)
        self._install_signal_handlers()
        os.register_at_fork(before=self._before_fork, after_in_parent=self._after_fork_parent,
                            after_in_child=self._after_fork_child)
        atexit.register(self.finalize, "exit")  # registered first, so it runs last
        if not self.config.get("light", False):
            try:
                self._start_tracer()
            except Exception as error:  # noqa: BLE001 - an interpreter without viztracer (a
                # --python, a child's other Python) runs as it would without us, untraced
                self.tracer = None
                self.write(TraceError(ev="trace_error", ts=now_ns(),
                                      error=f"function trace not started in {sys.executable}: "
                                            f"{error!r}"))

    def _start_tracer(self) -> None:
        VizTracer = _import_viztracer()  # noqa: N806 - the class

        from concurtrace.options import TracerOptions  # here: --light needs no NamedTuple

        options = TracerOptions.from_config(self.config.get("tracer", {}))
        include = options.include_files
        self.tracer = VizTracer(
            tracer_entries=options.tracer_entries, verbose=0,
            max_stack_depth=options.max_stack_depth,
            include_files=include, exclude_files=None if include else list(OWN_DIRS),
            min_duration=options.min_duration, register_global=False,
            dump_raw=True, output_file=self.trace_path)
        self.tracer.start()

    def _install_signal_handlers(self) -> None:
        if not hooks_module.main_thread():
            return
        armed = False
        for signum in FATAL_SIGNALS:
            if signal.getsignal(signum) == signal.SIG_DFL:  # an int here, not an enum
                armed = self._take(signum) or armed
        if armed:
            self.signal_watch.open()  # the parent ends us if a C call keeps our handler out

    def _take(self, signum: int) -> bool:
        """Our handler for signum, with SA_RESETHAND: True when the reset is armed."""
        self._raw_signal(signum, self.fatal_signal_handler)
        return self.resethand.arm(signum)

    def default_disposition(self, signum: int) -> Any:
        """The program sets SIG_DFL (signal.signal hook): ours, which ends it the same way."""
        previous = self._raw_signal(signum, self.fatal_signal_handler)
        if self.resethand.arm(signum) and self.signal_watch.fds is None \
                and not self.signal_watch.program_fd:
            self.signal_watch.open()
        return previous

    def set_wakeup_fd(self, fd: int, warn_on_full_buffer: bool) -> int:
        return self.signal_watch.program_sets(fd, warn_on_full_buffer)

    def handles_signal(self, signum: int) -> bool:
        return bool(self._raw_getsignal(signum) == self.fatal_signal_handler)

    def _before_fork(self) -> None:
        real = tid()
        self.fork_tid = self.survivor[1] if self.survivor and self.survivor[0] == real else real
        # A forked child clears pending Python-level signals (CPython's after-fork reset):
        # with our handler in place, a SIGTERM landing in that window would be lost and the
        # child would live on. With the default disposition it dies, as without us.
        # One sigaction each way when our C handler is armed (sigwatch.ResetHand): the
        # kernel's disposition is what ends a process, and the window runs no Python of the
        # program; else through signal.signal (its table says SIG_DFL meanwhile).
        self._defaulted = []
        if hooks_module.main_thread():  # signal.signal's rule
            self._defaulted = [signum for signum in FATAL_SIGNALS
                               if self._raw_getsignal(signum) == self.fatal_signal_handler]
        for i, signum in enumerate(self._defaulted):
            if self.resethand.to_default(signum):
                self._defaulted[i] = -signum  # put back by rearm
            else:
                self._raw_signal(signum, signal.SIG_DFL)

    def _after_fork_parent(self) -> None:
        self._restore_defaulted()

    def _restore_defaulted(self) -> None:
        for signum in self._defaulted:
            if signum < 0:
                if not self.resethand.rearm(-signum):
                    self._take(-signum)  # not expected: the way it was set before
            else:
                self._take(signum)
        self._defaulted = []

    def _after_fork_child(self) -> None:
        if self.sync_writer is not None:
            self.sync_writer.abandon()  # the parent's mappings: the child writes its own
            self.sync_writer = None
        self.finalized = False
        self.tracer_stop_told = False
        self.thread_exceptions = {}
        self._open("fork")
        self.survivor = (tid(), self.fork_tid)
        self.dying = self.saving_thread = 0
        try:
            self.signal_watch.after_fork_child()  # before our handlers come back
        except (OSError, ValueError):
            pass
        self._restore_defaulted()
        if self.tracer is not None:
            # VizTracer keeps the open calls of every thread of the parent and would flush
            # them at the end as the child's: phantom threads with slices from before the
            # fork. stop() empties every thread's call stack (into the buffer, which clear()
            # then drops); start() resumes tracing this, the child's only thread. Not when
            # the program's own profiler holds this thread (start() would replace it).
            restart = bool(self.tracer.enable) and (
                sys.version_info >= (3, 12) or sys.getprofile() is self.tracer)
            if restart:
                self.tracer.stop()
            self.tracer.clear()
            self.tracer.reset_stack()
            self.tracer.output_file = self.trace_path
            if restart:
                self.tracer.start()

    def fatal_signal_handler(self, signum: int, frame: FrameType | None) -> None:
        """Save what was captured, then die by the same signal, as without us."""
        if self.dying:
            return  # another fatal signal during the save: we die by the first, as plain
        self.dying = signum
        self.signal_watch.handling(signum)  # the parent now gives the save a bounded moment
        self.resethand.rearm(signum)  # one more of it during the save does not cut it short
        # The frame it interrupted: where the main thread was (blocked?) when the signal came.
        self.write(SignalReceived(ev="signal", ts=now_ns(), signum=signum, tid=tid(),
                                  stack=_stack(frame)))
        if self.saving_thread == threading.get_ident():
            # It interrupted our exit save (a pool worker exiting as terminate() reaches it):
            # dying now would cut the trace. The save goes on; finalize then dies by signum.
            return
        try:
            self.finalize("signal")
        finally:
            self._die_by(signum)

    def _die_by(self, signum: int) -> None:
        self._raw_signal(signum, signal.SIG_DFL)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, [signum])
        os.kill(os.getpid(), signum)
        os._exit(128 + signum)  # not reached unless the signal is somehow ignored

    def finalize(self, reason: str) -> None:
        if self.finalized:
            return
        self.finalized = True
        self.saving_thread = threading.get_ident()
        self.signal_watch.saving()  # a fatal signal from now on waits for the save (bounded)
        try:
            self._save(reason)
        finally:
            self.saving_thread = 0
            if self.dying and reason != "signal":
                self._die_by(self.dying)  # a fatal signal came during the save: as without us

    def _save(self, reason: str) -> None:
        ts = now_ns()
        if self.tracer is not None:
            if _stopped_early(self.tracer) and not self.tracer_stop_told:
                self.write(TraceStopped(ev="trace_stopped", ts=ts))
            self.tracer.stop(stop_option="flush_as_finish")
        self._mark_abandoned(ts)
        self.write(Finalize(ev="finalize", ts=ts, reason=reason, tid=tid()))
        if self.tracer is not None:
            try:  # created 0600 first: VizTracer's dump keeps the mode of the file it truncates
                os.close(os.open(self.trace_path, os.O_WRONLY | os.O_CREAT | os.O_CLOEXEC, 0o600))
                self.tracer.save(self.trace_path)
                self.write(TraceSaved(ev="trace_saved", ts=now_ns(), path=self.trace_path))
            except Exception as error:  # noqa: BLE001 - never break the program's exit
                self.write(TraceError(ev="trace_error", ts=now_ns(), error=repr(error)))

    def _mark_abandoned(self, ts: int) -> None:
        current = threading.get_ident()
        threads = dict(threading._active)  # type: ignore[attr-defined]
        for ident, frame in sys._current_frames().items():
            if ident == current:
                continue
            thread = threads.get(ident)
            native = self.raw_threads.get(ident)  # a thread of _thread's own: its tid is ours,
            if native is not None:  # its name its start's ("Dummy-1" here: VizTracer's 3.12+
                thread = None  # tracer asked threading for it, which made a _DummyThread)
            self.write(ThreadAbandoned(ev="thread_abandoned", ts=ts, ident=ident,
                                       tid=native or getattr(thread, "native_id", None),
                                       name=getattr(thread, "name", None),
                                       daemon=getattr(thread, "daemon", True),
                                       stack=_stack(frame)))


def _import_viztracer() -> Any:
    """VizTracer's C module imports trio when it is installed (for log_async's trio task
    names, which we do not ask for): every traced process imported trio, and trio's import
    runs `ldconfig -p` (ctypes.util.find_library), a child the program never made. A
    program that imports trio itself gets it as without us."""
    blocked = [name for name in ("trio", "trio.lowlevel") if name not in sys.modules]
    for name in blocked:
        sys.modules[name] = None  # type: ignore[assignment]  # import: "not there"
    try:
        from viztracer import VizTracer
    finally:
        for name in blocked:
            if name in sys.modules and sys.modules[name] is None:
                del sys.modules[name]
    return VizTracer


def _stopped_early(tracer: Any) -> bool:
    """Whether VizTracer stopped collecting on its own ("Unexpected function return,
    tracing is stopped": CPython 3.11 reports a coroutine's return without its call when an
    exception thrown into it is caught by the coroutine it awaits, as in anyio's cancel
    scopes). Nothing else tells: its pause() takes the profile function away only while it
    collects (< 3.12, where it profiles with PyEval_SetProfile; we stop it right after)."""
    profiling = sys.version_info < (3, 12) and sys.getprofile() is tracer
    if not profiling:
        return False
    tracer.pause()
    return sys.getprofile() is tracer


def _stack(frame: FrameType | None) -> list[dict[str, Any]]:
    stack: list[dict[str, Any]] = []
    while frame is not None and len(stack) < STACK_LIMIT:
        code = frame.f_code
        if code.co_filename.startswith(OWN_DIRS):
            frame = frame.f_back
            continue
        stack.append({"func": code.co_name, "file": code.co_filename, "line": frame.f_lineno})
        frame = frame.f_back
    return stack


def prepare_from_environment() -> Callable[[], None] | None:
    """What runs before the program may (runner/sitestart.py: the root target then waits for
    the go, and this is done while it would wait anyway): the config read, the recorder
    made, libc's sigaction found. Its start() is the rest, from the hello on. None: not
    inside a concurtrace session, or the session is gone."""
    session = os.environ.get("CONCURTRACE_SESSION")
    if not session or os.environ.get("CONCURTRACE_DISABLE"):
        return None
    try:
        with open(os.path.join(session, "config.json"), encoding="utf-8") as stream:
            config = loads(stream.read())
    except (OSError, ValueError):
        return None  # the session is gone (a leaf outliving concurtrace): run untraced
    recorder = Recorder(session, config)
    recorder.resethand.prepare()
    return recorder.start


def start_from_environment() -> None:
    """Entry point for a sitecustomize: a no-op when not inside a concurtrace session."""
    start = prepare_from_environment()
    if start is not None:
        start()
