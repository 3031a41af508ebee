"""Small /proc helpers: stat parsing, one-shot reads, and fd opening that copes
with the open-file limit (raise the soft limit once, else read by path)."""

from __future__ import annotations

import errno
import os
from dataclasses import dataclass

GONE = frozenset({errno.ESRCH, errno.ENOENT})
DENIED = frozenset({errno.EACCES, errno.EPERM})
CLK_TCK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096
_FLAGS = os.O_RDONLY | getattr(os, "O_CLOEXEC", 0)


@dataclass(slots=True)
class ProcStat:
    """The fields of /proc/P/stat the sampler uses."""

    state: str
    ppid: int
    cpu_ticks: int  # utime + stime, in CLK_TCK units, whole thread group
    num_threads: int
    starttime: int
    rss_pages: int
    exec_key: tuple[int, int]  # (startcode, startstack): changes on exec (0 if hidden)


def parse_stat(data: bytes) -> ProcStat | None:
    """Parse a /proc/P/stat line (comm may hold spaces and parentheses)."""
    close = data.rfind(b")")
    rest = data[close + 2 :].split()
    if close < 0 or len(rest) < 26:
        return None
    try:
        return ProcStat(
            state=rest[0].decode(),
            ppid=int(rest[1]),
            cpu_ticks=int(rest[11]) + int(rest[12]),
            num_threads=int(rest[17]),
            starttime=int(rest[19]),
            rss_pages=int(rest[21]),
            exec_key=(int(rest[23]), int(rest[25])),
        )
    except ValueError:
        return None


def read_bytes(path: str, size: int = 65536) -> bytes:
    """open + read + close; raises OSError."""
    fd = os.open(path, _FLAGS)
    try:
        return os.read(fd, size)
    finally:
        os.close(fd)


def read_text(path: str, default: str = "") -> str:
    try:
        return read_bytes(path).decode(errors="replace")
    except OSError:
        return default


def read_cmdline(pid: int) -> list[str]:
    raw = read_text(f"/proc/{pid}/cmdline")
    return [part for part in raw.split("\0") if part] if raw else []


def read_exe(pid: int) -> str:
    try:
        return os.readlink(f"/proc/{pid}/exe").removesuffix(" (deleted)")
    except OSError:
        return ""


class FdOpener:
    """Opens /proc files to keep; on EMFILE raises RLIMIT_NOFILE's soft limit to the
    hard limit once (lazily: the traced child, already started, keeps its own), then
    returns -1 (callers read by path) when fds stay scarce."""

    def __init__(self) -> None:
        self.notes: list[str] = []
        self.raised = False
        self.exhausted = False
        self.open_count = 0

    def open(self, path: str) -> int:
        """A kept fd, or -1 when out of fds. Raises OSError for other errors."""
        if self.exhausted:
            return -1
        try:
            fd = os.open(path, _FLAGS)
        except OSError as exc:
            if exc.errno not in (errno.EMFILE, errno.ENFILE):
                raise
            if not self.raised and self._raise_limit():
                return self.open(path)
            self.exhausted = True
            self.notes.append(
                f"out of file descriptors after {self.open_count} kept /proc files: "
                "the remaining threads are sampled by path (slower)"
            )
            return -1
        self.open_count += 1
        return fd

    def close(self, fd: int) -> None:
        if fd >= 0:
            try:
                os.close(fd)
            except OSError:
                pass
            self.open_count -= 1

    def _raise_limit(self) -> bool:
        self.raised = True
        try:
            import resource
        except ImportError:  # pragma: no cover - not Linux
            return False
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        if hard != resource.RLIM_INFINITY and hard <= soft:
            return False
        new = hard if hard != resource.RLIM_INFINITY else max(soft * 16, 65536)
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (new, hard))
        except (ValueError, OSError):
            return False
        self.notes.append(f"raised the sampler's open-file soft limit from {soft} to {new}")
        return True


def pread_or_path(fd: int, path: str, size: int) -> bytes:
    """pread at offset 0 of a kept fd, or a one-shot read by path when fd < 0."""
    if fd >= 0:
        return os.pread(fd, size, 0)
    return read_bytes(path, size)
