"""Whether a signal that reached concurtrace from outside reached the program as well.

A signal sent to concurtrace's whole process group (`kill -INT -PGID`, GNU timeout, a
supervisor or CI runner stopping a group or a cgroup, the program's own os.killpg(0, ...))
is delivered to the traced root too: passing it on delivered it twice (uvicorn reads a
second SIGINT as "exit now" and skipped its graceful shutdown). A signal sent to
concurtrace's pid alone (`kill -INT PID`) must be passed on. The receiver cannot tell the
two apart (both are SI_USER from the same sender); a sentinel process in our process group
and cgroup, which does nothing else, can: it hears the first kind, never the second.

The sentinel is a grandchild (a middle process forks it and exits before concurtrace
becomes a subreaper), so it is no child of ours to reap and no process of the traced tree;
it ends when our end of its control pipe closes (concurtrace ended, however). A fork that
lives on shares concurtrace's pages, and each one concurtrace writes afterwards is copied:
forked at the runner's start (~18 MB), ~2,500 copy-on-write faults in every run. So the
`concurtrace` command forks it first thing (console.py: ~9 MB, one thread, before typer's
imports); a caller that did not (the runner used from Python) spawns a `python -S -I` to
make it, whose start costs ~10 ms of wall time on 2 cores.
"""

from __future__ import annotations

import os
import select
import signal
import sys
import time
from collections.abc import Iterable

HEAR_WITHIN_S = 0.1  # how long a signal from outside waits for the sentinel's word
STALE_S = 1.0  # a word heard this long before the query is of an earlier signal


class GroupSentinel:
    def __init__(self, reports: int, control: int, middle: int) -> None:
        self.reports, self.control = reports, control
        self.middle = middle  # the process between us, to wait for (settle) before the go
        self.unclaimed: list[tuple[int, float]] = []  # (signum, when read): not yet asked for
        self.gone = False

    @classmethod
    def made(cls, signums: Iterable[int]) -> GroupSentinel | None:
        """The sentinel console.py forked for these signals, or a new one."""
        if EARLY and set(signums) <= set(SIGNALS):
            return EARLY.pop()
        return cls.begin(signums)

    @classmethod
    def begin(cls, signums: Iterable[int], fork: bool = False) -> GroupSentinel | None:
        """Starts the middle process, which forks the sentinel and exits: a fork of ours
        (`fork`: console.py's, while we are small and single-threaded) or a spawned
        `python -S -I`. None where it cannot be made: signals are passed on as before."""
        if not fork and _a_subreaper():
            # the runner used again in one process, already a subreaper: the orphaned
            # sentinel would be our child, and the reaper would wait for it forever
            return None
        wanted = ",".join(str(int(signum)) for signum in signums)
        try:
            reports_read, reports_write = os.pipe()
            control_read, control_write = os.pipe()
            # above the fds the dup2s write: a source already at 3 or 4 would keep its
            # close-on-exec flag (dup2 onto itself) or be overwritten by the other
            reports_write, control_read = (_above(fd, CONTROL_FD) for fd in (reports_write,
                                                                            control_read))
            middle = _fork_middle(wanted, reports_write, control_read) if fork else \
                os.posix_spawn(sys.executable, [sys.executable, "-S", "-I", "-c", SENTINEL,
                                                wanted], {},
                               file_actions=[(os.POSIX_SPAWN_DUP2, reports_write, REPORTS_FD),
                                             (os.POSIX_SPAWN_DUP2, control_read, CONTROL_FD)])
        except (OSError, AttributeError, ValueError):  # no fork or posix_spawn, no executable
            return None
        os.close(reports_write)
        os.close(control_read)
        os.set_blocking(reports_read, False)
        return cls(reports_read, control_write, middle)

    def settle(self) -> None:
        """Waits for the middle process (it exits at once): before we become a subreaper,
        so that the sentinel's parent is init, not us."""
        if self.middle:
            try:
                os.waitpid(self.middle, 0)
            except ChildProcessError:
                pass
            self.middle = 0

    def heard(self, signum: int, within_s: float = HEAR_WITHIN_S) -> bool:
        """Whether the sentinel heard signum, now or within within_s: then it was sent to
        the group (or the cgroup, or every process), and the traced root got it too."""
        asked = time.monotonic()
        deadline = asked + within_s
        while True:
            self.unclaimed = [(s, t) for s, t in self.unclaimed if t > asked - STALE_S]
            for entry in self.unclaimed:
                if entry[0] == signum:
                    self.unclaimed.remove(entry)
                    return True
            if self.gone:
                return False
            try:
                data = os.read(self.reports, 64)
            except BlockingIOError:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                try:
                    select.select([self.reports], [], [], left)
                except (OSError, ValueError):
                    return False
                continue
            except OSError:
                data = b""
            if not data:
                self.gone = True  # the sentinel died: pass every signal on, as before
            now = time.monotonic()
            self.unclaimed.extend((heard, now) for heard in data)

    def stop(self) -> None:
        for fd in (self.control, self.reports):
            try:
                os.close(fd)
            except OSError:
                pass


def tree_in_our_group(root: int) -> list[int]:
    """Our descendants (the root first) that are in our process group now."""
    import psutil

    group = os.getpgrp()
    try:
        tree = [root] + [child.pid for child in psutil.Process(root).children(recursive=True)]
    except psutil.Error:
        tree = [root]
    in_group = []
    for pid in tree:
        try:
            if os.getpgid(pid) == group:
                in_group.append(pid)
        except OSError:
            pass
    return in_group


REPORTS_FD, CONTROL_FD = 3, 4  # in the middle process and the sentinel
PR_GET_CHILD_SUBREAPER = 37
# what the runner asks about (runner/launch.py's FORWARDED, and SIGINT)
SIGNALS = (signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT, signal.SIGUSR1, signal.SIGUSR2,
           signal.SIGINT)
EARLY: list[GroupSentinel] = []  # made by console.py before the CLI's imports (prefork)


def prefork() -> None:
    """`concurtrace run`'s sentinel, forked while the process is small (before typer's
    imports: ~9 MB, not ~18) and has one thread. A fork that lives on shares our pages, and
    each one we write afterwards is copied: forked at the runner's start, ~2,500 such
    copies in every run; spawning a `python -S -I` instead costs ~10 ms of the start's
    wall time on 2 cores (bench/README.md)."""
    sentinel = GroupSentinel.begin(SIGNALS, fork=True)
    if sentinel is not None:
        EARLY.append(sentinel)


def _a_subreaper() -> bool:
    if not sys.platform.startswith("linux"):
        return False
    try:
        import ctypes

        flag = ctypes.c_int(0)
        libc = ctypes.CDLL(None, use_errno=True)
        return bool(libc.prctl(PR_GET_CHILD_SUBREAPER, ctypes.byref(flag), 0, 0, 0) == 0
                    and flag.value)
    except (OSError, AttributeError):
        return False


def _fork_middle(wanted: str, reports: int, control: int) -> int:
    middle = os.fork()
    if middle == 0:  # the middle process: the same code as a spawned one's
        try:
            os.dup2(reports, REPORTS_FD)
            os.dup2(control, CONTROL_FD)
            sys.argv = ["", wanted]
            exec(SENTINEL, {"__name__": "__concurtrace_sentinel__"})
        finally:
            os._exit(0)
    return middle


def _above(fd: int, low: int) -> int:
    """fd moved above low (close-on-exec, as os.pipe's)."""
    if fd > low:
        return fd
    import fcntl

    moved = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, low + 1)
    os.close(fd)
    return moved
# The middle process: forks the sentinel and exits. The sentinel reports each signal it
# receives as one byte on fd 3, and ends at fd 4's end of file. Standard library only,
# no site (-S -I): it starts in a few ms on the other core.
SENTINEL = """\
import os, signal, sys
if os.fork() == 0:
    try:
        null = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(null, fd)  # never holds the program's terminal or output pipes open
        os.closerange(5, 1 << 16)
        def report(signum, frame):
            try:
                os.write(3, bytes((signum,)))
            except OSError:
                pass
        for signum in map(int, sys.argv[1].split(",")):
            signal.signal(signum, report)
        signal.signal(signal.SIGTSTP, signal.SIG_IGN)  # a Ctrl-Z stops the program, not us
        try:
            import ctypes
            ctypes.CDLL(None).prctl(15, ctypes.c_char_p(b"concurtrace-sig"), 0, 0, 0)
        except Exception:
            pass
        while os.read(4, 1):  # a signal's EINTR is retried (PEP 475)
            pass
    finally:
        os._exit(0)
os._exit(0)
"""
