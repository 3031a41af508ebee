"""Small /proc helpers: stat parsing, one-shot reads, and fd opening that copes
with the open-file limit (raise the soft limit once, else read by path)."""

from __future__ import annotations

import errno
import os

GONE = frozenset({errno.ESRCH, errno.ENOENT})
NO_FDS = frozenset({errno.EMFILE, errno.ENFILE})
DENIED = frozenset({errno.EACCES, errno.EPERM})
CLK_TCK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096
_FLAGS = os.O_RDONLY | getattr(os, "O_CLOEXEC", 0)


class ProcStat:
    """The fields of /proc/P/stat the sampler uses (a plain class: the sampler is imported
    at every start, and a dataclass costs ~0.7 ms to make)."""

    __slots__ = ("state", "ppid", "cpu_ticks", "num_threads", "starttime", "rss_pages",
                 "exec_key")

    def __init__(self, state: str, ppid: int, cpu_ticks: int, num_threads: int,
                 starttime: int, rss_pages: int, exec_key: tuple[int, int]) -> None:
        self.state, self.ppid = state, ppid
        self.cpu_ticks = cpu_ticks  # utime + stime, in CLK_TCK units, whole thread group
        self.num_threads, self.starttime, self.rss_pages = num_threads, starttime, rss_pages
        self.exec_key = exec_key  # (startcode, startstack): changes on exec (0 if hidden)


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


UNKNOWN_SCHEDSTAT = (-1, -1, -1)


def parse_schedstat(data: bytes) -> tuple[int, int, int]:
    """(on-CPU ns, run-queue ns, slices) from /proc/P/task/T/schedstat; raises
    ValueError/IndexError on a malformed line. A kernel without scheduler statistics
    (older kernels with delay accounting off) prints "0 0 0": that is unknown, not a
    thread that never ran, or the merge would take it for one queued all along."""
    fields = data.split()
    on, rq = int(fields[0]), int(fields[1])
    slices = int(fields[2]) if len(fields) > 2 else -1
    if on == rq == slices == 0:
        return UNKNOWN_SCHEDSTAT
    return on, rq, slices


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
    """Opens /proc files to keep, leaving RESERVE fds free for the rest of the process
    (and for by-path reads). When the cap is reached it raises RLIMIT_NOFILE's soft
    limit to the hard limit once (lazily, so the traced child, already started, keeps
    its own limit); beyond that it returns -1 and callers read by path."""

    RESERVE = 128

    def __init__(self) -> None:
        self.notes: list[str] = []
        self.raised = False
        self.warned = False
        self.open_count = 0
        self.cap = self._cap()

    def _cap(self) -> int:
        try:
            import resource

            soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
            baseline = len(os.listdir("/proc/self/fd"))
        except (ImportError, OSError):  # pragma: no cover - not Linux
            return 1 << 30
        if soft == resource.RLIM_INFINITY:
            return 1 << 30
        return max(0, soft - baseline - self.RESERVE)

    def open(self, path: str) -> int:
        """A kept fd, or -1 when fds are scarce. Raises OSError for other errors."""
        if self.open_count >= self.cap and not (not self.raised and self._raise_limit()):
            return self._scarce()
        try:
            fd = os.open(path, _FLAGS)
        except OSError as exc:
            if exc.errno not in (errno.EMFILE, errno.ENFILE):
                raise
            return self._scarce()
        self.open_count += 1
        return fd

    def _scarce(self) -> int:
        if not self.warned:
            self.warned = True
            self.notes.append(
                f"file descriptors ran short after {self.open_count} kept /proc files: "
                "further threads were sampled by path (slower)"
            )
        return -1

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
        self.cap = self._cap()
        return self.open_count < self.cap


def pread_or_path(fd: int, path: str, size: int) -> bytes:
    """pread at offset 0 of a kept fd, or a one-shot read by path when fd < 0."""
    if fd >= 0:
        return os.pread(fd, size, 0)
    return read_bytes(path, size)
