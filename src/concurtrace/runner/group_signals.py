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
it ends when our end of its control pipe closes (concurtrace ended, however). The middle is
a small `python -S -I` started with posix_spawn, not a fork of concurtrace: a fork that
lives on shares concurtrace's ~18 MB, and each page concurtrace then writes is copied
(~2,500 copy-on-write faults, ~5-10 ms of its CPU, in every run).
"""

from __future__ import annotations

import os
import select
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
    def begin(cls, signums: Iterable[int]) -> GroupSentinel | None:
        """Spawns the middle process, which forks the sentinel and exits. None where it
        cannot be made: signals are passed on as before."""
        wanted = ",".join(str(int(signum)) for signum in signums)
        try:
            reports_read, reports_write = os.pipe()
            control_read, control_write = os.pipe()
            # above the fds the spawn's dup2 writes: a source already at 3 or 4 would keep
            # its close-on-exec flag (dup2 onto itself) or be overwritten by the other
            reports_write, control_read = (_above(fd, CONTROL_FD) for fd in (reports_write,
                                                                            control_read))
        except OSError:
            return None
        try:
            middle = os.posix_spawn(
                sys.executable, [sys.executable, "-S", "-I", "-c", SENTINEL, wanted], {},
                file_actions=[(os.POSIX_SPAWN_DUP2, reports_write, REPORTS_FD),
                              (os.POSIX_SPAWN_DUP2, control_read, CONTROL_FD)])
        except (OSError, AttributeError, ValueError):  # no posix_spawn, no executable
            for fd in (reports_read, reports_write, control_read, control_write):
                os.close(fd)
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
