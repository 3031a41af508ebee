"""Parent side: start the target, forward signals, reap the whole tree, enforce --timeout
(and --stop-on-deadlock, which runner/livedeadlock.py asks for).

concurtrace makes itself a child subreaper, so processes orphaned by the target
are reparented to it: it reaps them too (their true exit status) and waits until
the last process of the tree has ended.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from collections.abc import Callable

from concurtrace.runner.group_stops import GroupStops

PR_SET_CHILD_SUBREAPER = 36
FORWARDED = (signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT, signal.SIGUSR1, signal.SIGUSR2)
KILL_GRACE_S = 2.0
Sends = list[tuple[int, int, int, int, str]]  # (start_ts, ts, pid, signum, reason)


class RunOutcome:  # a plain class, not a dataclass: ~0.7 ms less at every start
    def __init__(self, root_pid: int, started_ns: int = 0) -> None:
        self.root_pid = root_pid
        self.root_status = 0
        self.statuses: dict[int, tuple[int, int]] = {}  # pid -> (ts, raw)
        self.started_ns = started_ns
        self.ended_ns = 0
        self.timed_out = False
        self.deadlock_stop = False  # --stop-on-deadlock ended the tree
        self.interrupts = 0
        self.sends: Sends = []  # concurtrace's own signals to the tree

    @property
    def exit_code(self) -> int:
        """The shell convention: the target's code, or 128+N for a signal N."""
        code = os.waitstatus_to_exitcode(self.root_status)
        return 128 - code if code < 0 else code


def _terminal_sent_it_to_the_tree() -> bool:
    """True when we are the foreground process group of our controlling terminal: a Ctrl-C
    there went to the whole group, the tree included, so forwarding it would double it.

    Whether stdin is a terminal says nothing of this (`concurtrace run x.py < in.txt` in a
    terminal; `concurtrace run x.py &` with the terminal as stdin)."""
    try:
        fd = os.open("/dev/tty", os.O_RDONLY | os.O_NOCTTY | os.O_CLOEXEC)
    except OSError:
        return False  # no controlling terminal: the signal came from kill
    try:
        return os.tcgetpgrp(fd) == os.getpgrp()
    except OSError:
        return False
    finally:
        os.close(fd)


def become_subreaper() -> bool:
    if not sys.platform.startswith("linux"):
        return False
    try:  # _ctypes, not ctypes: ~1.6 ms less before the target's spawn
        from concurtrace.runner.libc_calls import libc_function

        return bool(libc_function("prctl")(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0)
    except (ImportError, OSError, AttributeError):
        return False


def kill_tree(grace_s: float = KILL_GRACE_S, sends: Sends | None = None,
              reason: str = "timeout") -> None:
    """SIGTERM every descendant, then SIGKILL what is left after grace_s.

    Never waits on the processes itself: the reaper loop must be the one that
    collects their exit statuses. Each signal sent is appended to `sends` with its
    time, so the summary credits the stop to concurtrace, not to "outside".
    """
    import psutil  # here, not at import: it costs every run ~11 ms of start-up

    try:
        victims = psutil.Process().children(recursive=True)
    except psutil.Error:
        return

    def send(proc: psutil.Process, signum: int) -> None:
        try:
            if proc.status() == psutil.STATUS_ZOMBIE:
                return  # dead already: a signal now would be credited with nothing it did
            start = time.monotonic_ns()
            proc.send_signal(signum)
        except psutil.Error:
            return
        if sends is not None:
            sends.append((start, time.monotonic_ns(), proc.pid, int(signum), reason))

    for proc in victims:
        send(proc, signal.SIGTERM)

    def finish() -> None:
        for proc in victims:
            if proc.is_running():
                send(proc, signal.SIGKILL)

    timer = threading.Timer(grace_s, finish)
    timer.daemon = True
    timer.start()


def _pids() -> list[int]:
    """The processes now (Linux /proc; elsewhere none): none of them is of the tree."""
    try:
        return [int(name) for name in os.listdir("/proc") if name.isdigit()]
    except OSError:
        return []


def _end_now(pid: int) -> None:
    """The set-up failed after the target was spawned: it goes, as if never started."""
    try:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    except OSError:
        pass


def _has_children() -> bool:
    """Whether any child (reparented orphans included) is left, without reaping one."""
    try:
        os.waitid(os.P_ALL, 0, os.WEXITED | os.WNOHANG | os.WNOWAIT)
    except ChildProcessError:
        return False
    except (OSError, AttributeError):  # no waitid (not Linux): ask psutil
        pass
    return True


class Launcher:
    def __init__(self, argv: list[str], env: dict[str, str], timeout_s: float | None,
                 on_interrupt: Callable[[int], None] | None = None) -> None:
        self.argv, self.env, self.timeout_s = argv, env, timeout_s
        self.on_interrupt = on_interrupt
        self.on_root_exit: Callable[[str], None] | None = None
        # Run while the target starts, before it may run the program (see _spawn): what
        # must watch it from its first line on (the sampler, the signal watchdog).
        self.before_go: Callable[[], None] | None = None
        self.on_spawned: Callable[[], None] | None = None  # told once the target may run
        self.outcome: RunOutcome | None = None
        self.pids_before: list[int] = []  # the machine's processes just before the spawn
        self.group_stops: GroupStops | None = None

    def run(self) -> RunOutcome:
        # The group sentinel's middle process forks it and exits while the target's
        # interpreter starts and before_go imports; it is waited for (settled) before we
        # become a subreaper, both before the go: the target cannot start a process before.
        group = self.group_stops = GroupStops((*FORWARDED, signal.SIGINT))
        started = time.monotonic_ns()
        try:
            pid, go = self._spawn()
        except BaseException:
            group.settle()
            raise
        outcome = self.outcome = RunOutcome(root_pid=pid, started_ns=started)
        previous = self._install_signal_forwarding(pid, group)
        timer: threading.Timer | None = None
        try:
            try:
                if self.before_go is not None:
                    self.before_go()
                group.settle()
                become_subreaper()
            except BaseException:
                _end_now(pid)  # it has not run a line of the program: nothing to save
                raise
            finally:
                group.settle()
                os.close(go)  # the end of file the target waits for
            timer = self._start_timer()  # --timeout: the program's time, not our set-up's
            if self.on_spawned is not None:
                self.on_spawned()
            self._reap_all(outcome)
        finally:
            if timer is not None:
                timer.cancel()
            for signum, handler in previous.items():
                signal.signal(signum, handler)
            group.stop()
        outcome.ended_ns = time.monotonic_ns()
        return outcome

    def _spawn(self) -> tuple[int, int]:
        """The target, and the write end of its go pipe. Its interpreter starts and imports
        our bootstrap (~20 ms) while before_go sets up here, on the other core, instead of
        after: the session's sitecustomize reads CONCURTRACE_GO_FD (closing it and dropping
        the variable, so the program sees neither) until this end is closed."""
        read, write = os.pipe()  # both close-on-exec; only the target's copy of `read` is kept
        try:
            os.set_inheritable(read, True)
            env = {**self.env, "CONCURTRACE_GO_FD": str(read)}
            self.pids_before = _pids()
            pid = os.posix_spawn(self.argv[0], self.argv, env)
        except BaseException:
            os.close(write)
            raise
        finally:
            os.close(read)
        return pid, write

    def _reap_all(self, outcome: RunOutcome) -> None:
        while True:
            try:
                pid, status = os.waitpid(-1, 0)
            except ChildProcessError:
                return
            outcome.statuses[pid] = (time.monotonic_ns(), status)
            if pid == outcome.root_pid:
                outcome.root_status = status
                self._tell_remaining()

    def _tell_remaining(self) -> None:
        if self.on_root_exit is None or not _has_children():
            return
        import psutil

        try:
            left = len(psutil.Process().children())
        except psutil.Error:
            return
        if left:
            self.on_root_exit(f"the script ended; waiting for {left} process(es) it left "
                              "running (Ctrl-C twice to stop them)")

    def stop_for_deadlock(self) -> None:
        """--stop-on-deadlock: end the tree as --timeout does, credited to the deadlock."""
        outcome = self.outcome
        if outcome is not None and not (outcome.timed_out or outcome.deadlock_stop):
            outcome.deadlock_stop = True
            kill_tree(sends=outcome.sends, reason="deadlock")

    def _start_timer(self) -> threading.Timer | None:
        if not self.timeout_s:
            return None

        def expire() -> None:
            # stopped for a deadlock already: the tree is ending, credited to that
            if self.outcome is not None and not self.outcome.deadlock_stop:
                self.outcome.timed_out = True
                kill_tree(sends=self.outcome.sends, reason="timeout")

        timer = threading.Timer(self.timeout_s, expire)
        timer.daemon = True
        timer.start()
        return timer

    def _install_signal_forwarding(self, root: int,
                                   group: GroupStops) -> dict[int, signal.Handlers]:
        previous: dict[int, signal.Handlers] = {}
        outcome = self.outcome
        assert outcome is not None
        group.record = lambda pid, signum, ts: outcome.sends.append(
            (ts, ts, pid, signum, "external"))

        def pass_on(signum: int, reason: str | None, start: int) -> None:
            try:
                os.kill(root, signum)
            except ProcessLookupError:
                return
            if self.outcome is not None:  # a signal from outside, passed on (or our own stop)
                self.outcome.sends.append((start, time.monotonic_ns(), root, signum,
                                           reason or "external"))

        def forward(signum: int, _frame: object) -> None:
            start = time.monotonic_ns()
            if not group.reached_the_group(root, signum, start):
                pass_on(signum, None, start)

        def interrupt(signum: int, _frame: object) -> None:
            assert self.outcome is not None
            start = time.monotonic_ns()
            if group.echo(signum, start):
                return  # the same stop, sent to us and to the group (GNU timeout): one Ctrl-C
            terminal = _terminal_sent_it_to_the_tree()  # it reached the tree already
            if terminal:  # (no echo window: a quick second Ctrl-C there is meant)
                group.heard(signum)  # the sentinel's word of the same Ctrl-C, taken
                group.outside(root, signum, start)
            elif group.reached_the_group(root, signum, start):
                if group.claimed_after(signum, start):
                    return  # a receipt that came during our wait claimed the group's word
            else:  # it came from kill, to us alone: forward it
                # The second one is concurtrace stopping the run; the first is the user's.
                pass_on(signum, "interrupt" if self.outcome.interrupts >= 1 else None, start)
            self.outcome.interrupts += 1
            if self.on_interrupt is not None:
                self.on_interrupt(self.outcome.interrupts)
            if self.outcome.interrupts >= 2:
                # stop waiting: what was captured is saved
                kill_tree(grace_s=0.5, sends=self.outcome.sends, reason="interrupt")

        for signum in FORWARDED:
            previous[signum] = signal.signal(signum, forward)  # type: ignore[assignment]
        previous[signal.SIGINT] = signal.signal(signal.SIGINT, interrupt)  # type: ignore[assignment]
        return previous
