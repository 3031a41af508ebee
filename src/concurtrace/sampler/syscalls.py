"""Classify a /proc/P/task/T/syscall line into a raw thread state.

The line is "running" for a TASK_RUNNING thread (on a CPU or runnable), else
"NR ARG0 .. ARG5 SP PC" (args in hex) for a thread blocked in syscall NR, or
"-1 SP PC" for one blocked outside a syscall (stopped, traced).

The sampler stores small integer codes: the index of a STATE_KEYS key, or FUTEX
for a futex wait, whose address decides later between "gil" and "lock".
"""

from __future__ import annotations

import platform

from concurtrace.model.vocabulary import STATE_KEYS

CODE: dict[str, int] = {key: i for i, key in enumerate(STATE_KEYS)}
RUNNING = CODE["running"]
SLEEP = CODE["sleep"]
IO = CODE["io"]
CHILD = CODE["child"]
OTHER = CODE["other"]
GIL = CODE["gil"]
LOCK = CODE["lock"]
FUTEX = len(STATE_KEYS)  # pseudo-code: futex wait, address decides gil/lock
NFDS = -1  # select/poll family: sleep with zero fds, else I/O

_IO_X86_64 = (
    "read 0 write 1 open 2 poll:7 pread64 17 pwrite64 18 readv 19 writev 20 select:23 "
    "sendfile 40 connect 42 accept 43 sendto 44 recvfrom 45 sendmsg 46 recvmsg 47 "
    "semop 65 msgsnd 69 msgrcv 70 fcntl 72 flock 73 fsync 74 fdatasync 75 "
    "io_getevents 208 semtimedop 220 epoll_wait 232 openat 257 pselect6:270 ppoll:271 "
    "splice 275 tee 276 sync_file_range 277 epoll_pwait 281 accept4 288 preadv 295 "
    "pwritev 296 recvmmsg 299 sendmmsg 307 preadv2 327 pwritev2 328 io_uring_enter 426 "
    "epoll_pwait2 441"
)
_IO_AARCH64 = (
    "io_getevents 4 epoll_pwait 22 fcntl 25 flock 32 openat 56 read 63 write 64 readv 65 "
    "writev 66 pread64 67 pwrite64 68 preadv 69 pwritev 70 sendfile 71 pselect6:72 "
    "ppoll:73 splice 76 tee 77 fsync 82 fdatasync 83 sync_file_range 84 msgrcv 188 "
    "msgsnd 189 semtimedop 192 semop 193 accept 202 connect 203 sendto 206 recvfrom 207 "
    "sendmsg 211 recvmsg 212 accept4 242 recvmmsg 243 sendmmsg 269 preadv2 286 "
    "pwritev2 287 io_uring_enter 426 epoll_pwait2 441"
)
# Which argument holds the fd count for the select/poll family.
_NFDS_ARG = {"select": 0, "pselect6": 0, "poll": 1, "ppoll": 1}


def _table(
    io: str, futex: tuple[int, ...], sleep: tuple[int, ...], child: tuple[int, ...]
) -> tuple[dict[int, int], dict[int, int]]:
    codes: dict[int, int] = {}
    nfds: dict[int, int] = {}
    words = io.replace(":", " : ").split()
    i = 0
    while i < len(words):
        name = words[i]
        if words[i + 1] == ":":
            nr = int(words[i + 2])
            codes[nr] = NFDS
            nfds[nr] = _NFDS_ARG[name]
            i += 3
        else:
            codes[int(words[i + 1])] = IO
            i += 2
    codes.update(dict.fromkeys(futex, FUTEX))
    codes.update(dict.fromkeys(sleep, SLEEP))
    codes.update(dict.fromkeys(child, CHILD))
    return codes, nfds


class SyscallTable:
    """Syscall number -> raw state code for one architecture."""

    def __init__(self, arch: str, codes: dict[int, int], nfds: dict[int, int]) -> None:
        self.arch = arch
        self.codes = codes
        self.nfds = nfds


# futex / futex_waitv; nanosleep, clock_nanosleep, pause, rt_sigtimedwait,
# rt_sigsuspend; wait4 / waitid.
_TABLES: dict[str, SyscallTable] = {
    "x86_64": SyscallTable(
        "x86_64", *_table(_IO_X86_64, (202, 449), (35, 230, 34, 128, 130), (61, 247))
    ),
    "aarch64": SyscallTable(
        "aarch64", *_table(_IO_AARCH64, (98, 449), (101, 115, 137, 133), (260, 95))
    ),
}
_ALIASES = {"amd64": "x86_64", "arm64": "aarch64", "x64": "x86_64"}


def table_for(machine: str | None = None) -> SyscallTable | None:
    """The table for platform.machine() (or `machine`); None if unsupported."""
    name = (machine or platform.machine()).lower()
    return _TABLES.get(_ALIASES.get(name, name))


def classify_line(line: bytes, table: SyscallTable) -> tuple[int, int]:
    """(code, futex address) for one syscall line; the address is 0 unless FUTEX."""
    if line[:1] == b"r":  # "running"
        return RUNNING, 0
    parts = line.split(None, 3)
    try:
        nr = int(parts[0])
        code = table.codes.get(nr, OTHER)
        if code == FUTEX:
            return FUTEX, int(parts[1], 16)
        if code == NFDS:
            return (SLEEP if int(parts[1 + table.nfds[nr]], 16) == 0 else IO), 0
    except (ValueError, IndexError):
        return OTHER, 0
    return code, 0


def resolve_futex(
    uaddr: int, gil_range: tuple[int, int] | None, python: bool, gil_disabled: bool
) -> int:
    """gil when the address lies in _PyRuntime; lock otherwise; other when the
    process is Python but its _PyRuntime range is unknown (GIL or untraced wait)."""
    if gil_range is not None and not gil_disabled:
        return GIL if gil_range[0] <= uaddr < gil_range[1] else LOCK
    if python and not gil_disabled:
        return OTHER
    return LOCK


def classify(
    line: bytes,
    table: SyscallTable,
    gil_range: tuple[int, int] | None,
    python: bool = True,
    gil_disabled: bool = False,
) -> str:
    """Convenience: the STATE_KEYS key of one line (running = TASK_RUNNING)."""
    code, uaddr = classify_line(line, table)
    if code == FUTEX:
        code = resolve_futex(uaddr, gil_range, python, gil_disabled)
    return STATE_KEYS[code]
