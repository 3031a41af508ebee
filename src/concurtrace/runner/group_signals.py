"""Whether a signal that reached concurtrace from outside reached the program as well.

A signal sent to concurtrace's whole process group (`kill -INT -PGID`, GNU timeout, a
supervisor or CI runner stopping a group or a cgroup, the program's own os.killpg(0, ...))
is delivered to the traced root too: passing it on delivered it twice (uvicorn reads a
second SIGINT as "exit now" and skipped its graceful shutdown). A signal sent to
concurtrace's pid alone (`kill -INT PID`) must be passed on. The receiver cannot tell the
two apart (both are SI_USER from the same sender); a sentinel process in our process group
and cgroup, which does nothing else, can: it hears the first kind, never the second.

The sentinel is a grandchild (double fork before concurtrace becomes a subreaper), so it is
no child of ours to reap and no process of the traced tree; it ends when our end of its
control pipe closes (concurtrace ended, however).
"""

from __future__ import annotations

import os
import select
import signal
import time
from collections.abc import Iterable

HEAR_WITHIN_S = 0.1  # how long a signal from outside waits for the sentinel's word
STALE_S = 1.0  # a word heard this long before the query is of an earlier signal
PR_SET_NAME = 15


class GroupSentinel:
    def __init__(self, reports: int, control: int, middle: int) -> None:
        self.reports, self.control = reports, control
        self.middle = middle  # the process between us, to wait for (settle) before the go
        self.unclaimed: list[tuple[int, float]] = []  # (signum, when read): not yet asked for
        self.gone = False

    @classmethod
    def begin(cls, signums: Iterable[int]) -> GroupSentinel | None:
        """Forks the middle process, which starts the sentinel and leaves it to init; from
        the main thread while it is the only one (a fork from a multi-threaded process warns
        on 3.12+). None where it cannot be made (no fork): signals are passed on as before."""
        wanted = tuple(signums)
        try:
            reports_read, reports_write = os.pipe()
            control_read, control_write = os.pipe()
            middle = os.fork()
        except OSError:
            return None
        if middle == 0:
            try:
                if os.fork() == 0:
                    _serve(wanted, reports_write, control_read)
            finally:
                os._exit(0)
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


def _serve(signums: tuple[int, ...], reports: int, control: int) -> None:
    """The sentinel: reports each signal it receives, ends at the control pipe's EOF."""
    try:
        null = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(null, fd)  # never holds the program's terminal or output pipes open
        keep = sorted((reports, control))
        os.closerange(3, keep[0])
        os.closerange(keep[0] + 1, keep[1])
        os.closerange(keep[1] + 1, 1 << 16)
        _name(b"concurtrace-sig")

        def report(signum: int, _frame: object) -> None:
            try:
                os.write(reports, bytes((signum,)))
            except OSError:
                pass

        for signum in signums:
            signal.signal(signum, report)
        signal.signal(signal.SIGTSTP, signal.SIG_IGN)  # a Ctrl-Z stops the program, not us
        while os.read(control, 1):  # a signal's EINTR is retried (PEP 475)
            pass
    finally:
        os._exit(0)


def _name(name: bytes) -> None:
    try:
        import ctypes

        ctypes.CDLL(None).prctl(PR_SET_NAME, ctypes.c_char_p(name), 0, 0, 0)
    except (OSError, AttributeError, ImportError):
        pass
