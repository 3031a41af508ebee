"""Child side of the signal watchdog: a fatal signal must end the process even while a C
call holds the GIL, when our Python-level handler (which saves the trace) cannot run.

Two pieces, both invisible to the program:
- CPython's own C handler for SIGTERM/SIGHUP is re-installed with SA_RESETHAND, so once
  a signal is delivered the kernel's disposition is already SIG_DFL: the same signal sent
  again ends the process exactly as without us.
- The signal wakeup fd (CPython's C handler writes the signal number there, no GIL needed)
  is a pipe whose read end was handed to the concurtrace parent. The parent sees the
  delivery; if our Python handler does not say within a moment that it runs, the parent
  sends the signal again.
Runs inside the traced program: standard library only, and nothing printed, ever.
"""

from __future__ import annotations

import _socket
import os
import sys
from collections.abc import Callable

from concurtrace.model.records import above_program_fds, close_own  # as the record file's

TYPE_CHECKING = False  # not typing's: importing typing costs every traced process
if TYPE_CHECKING:
    from typing import Any

SA_ONSTACK, SA_RESETHAND = 0x08000000, 0x80000000  # Linux, x86-64 and aarch64
LAYOUT_MACHINES = ("x86_64", "aarch64")  # struct sigaction: handler, 128-byte mask, flags, restorer
KERNEL_MASK_BYTES = 8
HANDLING = 0x80  # byte HANDLING | signum: our Python handler is saving, then dies by signum;
# HANDLING alone: the exit save began (a signal during it waits for it, bounded)
SOCKET_NAME = "signals.sock"


class ResetHand:
    """Adds SA_RESETHAND to the C handler CPython installed, through libc's sigaction
    (self._libc: the function itself, runner/libc_calls.py)."""

    def __init__(self) -> None:
        self._libc: Any = None
        self._struct: Any = None
        self._byref: Any = None
        self._armed: dict[int, Any] = {}  # signum -> the struct sigaction we wrote
        self.usable = sys.platform.startswith("linux") and os.uname().machine in LAYOUT_MACHINES

    def prepare(self) -> None:
        """libc's sigaction found now (before the go: runner/bootstrap.py), not at the
        first arm()."""
        if self.usable:
            self._load()

    def _load(self) -> bool:
        if self._libc is not None:
            return True
        try:  # _ctypes, not ctypes: ~1.6 ms less in every traced process
            from concurtrace.runner import libc_calls
        except ImportError:  # a build without _ctypes: signals as before
            self.usable = False
            return False
        try:
            self._libc = libc_calls.load_sigaction()
        except (OSError, AttributeError):
            self.usable = False
            return False
        self._struct, self._byref = libc_calls.Sigaction, libc_calls.byref
        return True

    def arm(self, signum: int) -> bool:
        """Call right after signal.signal(signum, python_handler). False: left as it was."""
        if signum in self._armed:
            # Armed before in this image (the parent of a fork child, or our handler taken
            # back after a fork): signal.signal installed the same C handler, so the struct
            # checked then is the one to write; one sigaction, not three, per fork and signal.
            return self.rearm(signum)
        if not self.usable or not self._load():
            return False
        byref = self._byref
        current = self._struct()
        if self._libc(signum, None, byref(current)) != 0:
            return False
        # What CPython's PyOS_setsig writes: its handler, an empty mask, SA_ONSTACK. Anything
        # else means the layout is not the one we know (or someone else's handler): leave it.
        # (Only the kernel's 64 signals of the mask are filled in; glibc leaves the rest.)
        if current.handler in (None, 0, 1) or not current.flags & SA_ONSTACK \
                or any(current.mask[:KERNEL_MASK_BYTES]):
            return False
        current.flags |= SA_RESETHAND
        if self._libc(signum, byref(current), None) != 0:
            return False
        check = self._struct()
        self._libc(signum, None, byref(check))
        if check.handler != current.handler or not check.flags & SA_RESETHAND:
            return False
        self._armed[signum] = current
        return True

    def to_default(self, signum: int) -> bool:
        """SIG_DFL for signum by one sigaction, CPython's handler table left as it is (a
        fork's window: runner/bootstrap.py); rearm puts the armed handler back. False, and
        nothing done, when signum was not armed here."""
        if signum not in self._armed:
            return False
        byref = self._byref
        return bool(self._libc(signum, byref(self._struct()), None) == 0)  # zeroed: SIG_DFL

    def rearm(self, signum: int) -> bool:
        """Puts the armed C handler back (after a delivery reset it): one more delivery of
        the signal during our save is absorbed; the parent bounds how long the save takes."""
        armed = self._armed.get(signum)
        if armed is None:
            return False
        return bool(self._libc(signum, self._byref(armed), None) == 0)


class SignalWatch:
    """Our wakeup fd, shown to the program as if there were none (its own one wins)."""

    def __init__(self, session: str, raw_set_wakeup_fd: Callable[..., int]) -> None:
        self.address = os.path.join(session, SOCKET_NAME)
        self._raw = raw_set_wakeup_fd
        self.fds: tuple[int, int] | None = None  # our pipe (read, write)
        self.program_fd = False  # the program set a wakeup fd of its own

    def open(self) -> bool:
        """Registers this process with the parent and sets the wakeup fd; False if it cannot
        (nothing is left behind then, and nothing is printed)."""
        try:
            pipe = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
            read_fd, write_fd = (above_program_fds(fd) for fd in pipe)
        except OSError:
            return False
        handed = [read_fd]
        try:
            try:
                handed.append(os.pidfd_open(os.getpid()))  # the parent signals exactly us
            except (AttributeError, OSError):
                pass
            sock = _socket.socket(_socket.AF_UNIX, _socket.SOCK_DGRAM | _socket.SOCK_CLOEXEC)
            try:
                sock.settimeout(0.1)  # a parent too busy to take it: no watchdog here
                data = b"".join(fd.to_bytes(4, sys.byteorder) for fd in handed)
                sock.sendmsg([b"watch"], [(_socket.SOL_SOCKET, _socket.SCM_RIGHTS, data)], 0,
                               self.address)
            finally:
                sock.close()
            # We keep the read end too: a write never fails for want of a reader (EPIPE
            # would make CPython print a warning once the parent is gone); a full pipe fails
            # with EAGAIN, which warn_on_full_buffer=False keeps silent.
            self._raw(write_fd, warn_on_full_buffer=False)
        except (OSError, ValueError):
            close_own(read_fd)
            close_own(write_fd)
            return False
        finally:
            for fd in handed[1:]:
                os.close(fd)
        self.fds = (read_fd, write_fd)
        return True

    def handling(self, signum: int) -> None:
        if self.fds is not None and not self.program_fd:
            try:
                os.write(self.fds[1], bytes([HANDLING | signum]))
            except OSError:
                pass

    def saving(self) -> None:
        """The exit save begins: a fatal signal that lands during it gets the save's bound."""
        self.handling(0)  # HANDLING alone: no signal yet

    def program_sets(self, fd: int, warn_on_full_buffer: bool) -> int:
        """signal.set_wakeup_fd as the program sees it: -1 stands for ours."""
        ours = self.fds[1] if self.fds is not None else -1
        if fd == -1 and ours != -1:
            previous = self._raw(ours, warn_on_full_buffer=False)
            self.program_fd = False
        else:
            previous = self._raw(fd, warn_on_full_buffer=warn_on_full_buffer)
            self.program_fd = fd != -1
        return -1 if previous == ours else previous

    def after_fork_child(self) -> None:
        """A fork child gets its own pipe (the inherited one names the parent process)."""
        if self.fds is None:
            return
        inherited, program_fd = self.fds, self.program_fd
        self.fds = None
        if program_fd or not self.open():
            if not program_fd:
                self._raw(-1)
        for fd in inherited:
            close_own(fd)
