"""Parent side of the signal watchdog (see sigwatch.py for the child side).

Each traced process hands us the read end of its signal wakeup pipe (and a pidfd) over a
datagram socket in the private session directory. CPython's C signal handler writes the
signal number there without the GIL. When a SIGTERM/SIGHUP reached a process whose kernel
disposition is now SIG_DFL (our SA_RESETHAND fired) and our Python handler does not report
within START_BOUND_S that it runs (a C call holds the GIL), we send the same signal again: it
meets SIG_DFL and ends the process as without concurtrace. A handler that does run gets
a bounded moment to save the trace (3 s per million tracer entries) before the same happens.
"""

from __future__ import annotations

import _socket  # not socket: its enums cost every run ~2.5 ms of start-up
import array
import os
import selectors
import signal
import struct
import threading
import time
from pathlib import Path

from concurtrace.runner.sigwatch import HANDLING, SOCKET_NAME

WATCHED = (signal.SIGTERM, signal.SIGHUP)
START_BOUND_S = 0.2  # delivery -> our Python handler's first line, when Python code runs
SAVE_BOUND_S = 3.0  # our handler's start -> its death, per million tracer entries (a full
# default buffer saved in 1.8 s on a loaded 2-core machine); --light saves no function trace
LIGHT_SAVE_BOUND_S = 1.0
RESEND_EVERY_S = 0.1  # until it is gone (one re-send may be absorbed by a saving handler)


class Watched:  # a plain class, not a dataclass: ~0.7 ms less at every start
    __slots__ = ("pid", "pipe", "pidfd", "signum", "saving", "exit_save", "deadline")

    def __init__(self, pid: int, pipe: int, pidfd: int | None) -> None:
        self.pid, self.pipe, self.pidfd = pid, pipe, pidfd
        self.signum = 0
        self.saving = False
        self.exit_save = False  # it began saving its trace on its way out
        self.deadline = 0.0  # when to send signum again; 0: nothing pending


class SignalWatchdog:
    def __init__(self, session_dir: Path, save_bound_s: float = SAVE_BOUND_S) -> None:
        self.address = str(session_dir / SOCKET_NAME)
        self.save_bound_s = save_bound_s
        self.sock: _socket.socket | None = None
        self.selector = selectors.DefaultSelector()
        self.watched: dict[int, Watched] = {}  # by pipe fd
        self.resent: list[tuple[int, int]] = []  # (pid, signum), for the tests and notes
        # (pid, signum, ts_ns): each signal its C handler took, whoever sent it (gunicorn's
        # master handling a SIGTERM from a shell), read here within a selector round.
        self.deliveries: list[tuple[int, int, int]] = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._wake: tuple[int, int] | None = None  # a pipe: stop() ends the select at once

    def start(self) -> bool:
        try:
            sock = _socket.socket(_socket.AF_UNIX, _socket.SOCK_DGRAM | _socket.SOCK_CLOEXEC)
            sock.setsockopt(_socket.SOL_SOCKET, _socket.SO_PASSCRED, 1)
            sock.bind(self.address)  # too long a path: no watchdog, signals as before
            os.chmod(self.address, 0o600)
        except (OSError, AttributeError):
            return False
        sock.setblocking(False)
        self.sock = sock
        self.selector.register(sock, selectors.EVENT_READ)
        self._wake = os.pipe2(os.O_CLOEXEC | os.O_NONBLOCK)
        self.selector.register(self._wake[0], selectors.EVENT_READ)
        self._thread = threading.Thread(target=self._run, name="concurtrace-signals",
                                        daemon=True)
        self._thread.start()
        return True

    def stop(self) -> None:
        if self._stop.is_set():
            return
        self._stop.set()
        if self._wake is not None:
            os.write(self._wake[1], b"x")  # without it, the join waited up to 0.1 s
        if self._thread is not None:
            self._thread.join(timeout=2)
        if self._wake is not None:
            for fd in self._wake:
                os.close(fd)
        for entry in list(self.watched.values()):
            self._forget(entry)
        if self.sock is not None:
            self.sock.close()
        self.selector.close()

    def _run(self) -> None:
        while not self._stop.is_set():
            pending = [e.deadline for e in self.watched.values() if e.deadline]
            timeout = max(0.0, min(pending) - time.monotonic()) if pending else 0.1
            for key, _ in self.selector.select(min(timeout, 0.1)):
                if key.fileobj is self.sock:
                    self._register()
                elif int(key.fd) in self.watched:
                    self._read(self.watched[int(key.fd)])
            now = time.monotonic()
            for entry in list(self.watched.values()):
                if entry.deadline and now >= entry.deadline:
                    self._resend(entry)

    def _register(self) -> None:
        assert self.sock is not None
        fds_space, creds_space = _socket.CMSG_SPACE(8), _socket.CMSG_SPACE(12)
        try:
            _, ancillary, _, _ = self.sock.recvmsg(16, fds_space + creds_space)
        except OSError:
            return
        fds, pid, uid = array.array("i"), 0, -1
        for level, kind, data in ancillary:
            if level == _socket.SOL_SOCKET and kind == _socket.SCM_RIGHTS:
                fds.frombytes(data[:len(data) - len(data) % fds.itemsize])
            elif level == _socket.SOL_SOCKET and kind == _socket.SCM_CREDENTIALS:
                pid, uid, _gid = struct.unpack("iII", data[:12])
        if not fds or pid <= 0 or uid != os.getuid():  # only our own tree can reach it
            for fd in fds:
                os.close(fd)
            return
        entry = Watched(pid, fds[0], fds[1] if len(fds) > 1 else None)
        self.watched[entry.pipe] = entry
        self.selector.register(entry.pipe, selectors.EVENT_READ)

    def _read(self, entry: Watched) -> None:
        try:
            data = os.read(entry.pipe, 4096)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if not data:  # every process holding the pipe has ended
            self._forget(entry)
            return
        now = time.monotonic()
        for byte in data:
            signum = byte & ~HANDLING
            if byte and not byte & HANDLING:
                self.deliveries.append((entry.pid, byte, time.monotonic_ns()))
            if byte == HANDLING:  # its exit save began: a signal now must not cut it short
                entry.exit_save = True
            elif byte & HANDLING and signum in WATCHED and not entry.saving:
                # Our handler runs (it dies by signum when done): bound its save.
                entry.signum, entry.saving = signum, True
                entry.deadline = now + self.save_bound_s
            elif byte in WATCHED and not entry.signum and _now_default(entry.pid, byte):
                # During the exit save our handler waits for it (or cannot run: the dump is
                # one C call): the save's bound, then the same signal again.
                entry.signum, entry.saving = byte, entry.exit_save
                entry.deadline = now + (self.save_bound_s if entry.exit_save else START_BOUND_S)

    def _resend(self, entry: Watched) -> None:
        if entry.exit_save and not entry.saving:
            # Its exit save began after the signal came (read late, after the program's own
            # handler ran and exit reset it to SIG_DFL: a server stopped by SIGTERM): wait
            # for the save as for a signal that came during it; a handled one is gone by then.
            entry.saving, entry.deadline = True, time.monotonic() + self.save_bound_s
            return
        entry.deadline = time.monotonic() + RESEND_EVERY_S
        if not entry.saving and not _now_default(entry.pid, entry.signum):
            entry.deadline = 0.0  # the program took the signal over meanwhile: its business
            entry.signum = 0
            return
        self.resent.append((entry.pid, entry.signum))
        try:
            if entry.pidfd is not None:
                signal.pidfd_send_signal(entry.pidfd, entry.signum)
            else:
                os.kill(entry.pid, entry.signum)
        except OSError:
            self._forget(entry)

    def _forget(self, entry: Watched) -> None:
        self.watched.pop(entry.pipe, None)
        try:
            self.selector.unregister(entry.pipe)
        except (KeyError, ValueError):
            pass
        for fd in (entry.pipe, entry.pidfd):
            if fd is not None:
                os.close(fd)


def _now_default(pid: int, signum: int) -> bool:
    """True when the kernel disposition of signum in pid is SIG_DFL (neither caught nor
    ignored): our SA_RESETHAND handler was delivered and reset, nobody installed another."""
    masks: dict[str, int] = {}
    try:
        with open(f"/proc/{pid}/status", "rb") as status:
            for line in status:
                if line.startswith((b"SigIgn:", b"SigCgt:")):
                    masks[line[:6].decode()] = int(line.split()[1], 16)
    except (OSError, ValueError):
        return False
    bit = 1 << (signum - 1)
    return len(masks) == 2 and not (masks["SigIgn"] | masks["SigCgt"]) & bit


def save_bound_s(light: bool, tracer_entries: int) -> float:
    """How long a handler that runs may take to save before the signal is sent again."""
    return LIGHT_SAVE_BOUND_S if light else SAVE_BOUND_S * max(1.0, tracer_entries / 1e6)
