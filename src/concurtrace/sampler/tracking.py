"""Discovery of the descendants of one process and of their threads (Linux /proc).

New processes are found by scanning /proc for unseen pids whose parent is in
scope (the ancestor or a known descendant), so forks from any thread and orphans
reparented to the ancestor (a child subreaper) are found alike. Pids checked and
found foreign are remembered while they exist, so a scan costs one listdir plus one
stat read per new pid. No scan at all while the kernel has handed out no pid since the
last complete one (/proc/sys/kernel/ns_last_pid, the pid namespace's last pid: any fork
or thread anywhere in it moves it), so a quiet machine costs one pread per look.
"""

from __future__ import annotations

import os

from concurtrace.model.naming import is_python
from concurtrace.model.sampled import SeenProcess, SeenThread

from .procfs import (
    GONE,
    FdOpener,
    ProcStat,
    parse_stat,
    read_bytes,
    read_cmdline,
    read_exe,
    read_text,
)
from .tracked import TrackedProcess, TrackedThread

RENAME_NS = 20_000_000  # a thread's comm is read again this long after it was found


class Tracker:
    """The set of known descendants of `ancestor` and their threads."""

    def __init__(
        self, ancestor: int, opener: FdOpener, states: bool, kernel_stacks: bool = False
    ) -> None:
        self.ancestor = ancestor
        self.opener = opener
        self.states = states
        self.kernel_stacks = kernel_stacks  # also keep /proc/P/task/T/stack open
        self.procs: dict[int, TrackedProcess] = {}
        self.foreign: set[int] = set()
        self.force_schedstat = ""  # reason to sample every process schedstat-only
        self._last_pid_fd = _open_last_pid()
        self._scanned_at = b""  # ns_last_pid before the last complete scan

    @property
    def has_last_pid(self) -> bool:
        return self._last_pid_fd >= 0

    def _last_pid(self) -> bytes:
        """ns_last_pid as read now; b"" when it cannot be read."""
        if self._last_pid_fd < 0:
            return b""
        try:
            return os.pread(self._last_pid_fd, 32, 0)
        except OSError:
            return b""

    def pids_created(self) -> bool:
        """Whether a pid was handed out since the last complete scan (True: unknown)."""
        last = self._last_pid()
        return not last or last != self._scanned_at

    def live(self) -> list[TrackedProcess]:
        return [p for p in self.procs.values() if p.alive]

    def discover(self, now: int) -> None:
        """New processes of the tree, then new threads of every live process."""
        self.discover_processes(now)
        for proc in self.live():
            self.discover_threads(proc, now)

    def discover_processes(self, now: int) -> None:
        last = self._last_pid()  # read before the listdir: a pid handed out after it moves it
        if last and last == self._scanned_at:
            return  # no process (nor thread) created since the last complete scan
        try:
            present = {int(n) for n in os.listdir("/proc") if n.isdigit()}
        except OSError:
            return
        complete = True
        self.foreign &= present
        scope = {self.ancestor} | {p.info.pid for p in self.procs.values() if p.alive}
        parents: dict[int, ProcStat] = {}
        for pid in present - self.foreign - self.procs.keys() - {self.ancestor}:
            try:
                st = parse_stat(read_bytes(f"/proc/{pid}/stat", 1024))
            except OSError:
                complete = False  # gone, most likely; look again next time all the same
                continue
            if st is not None:
                parents[pid] = st
            else:
                complete = False
        grew = True
        while grew:
            grew = False
            for pid, st in list(parents.items()):
                if st.ppid in scope:
                    self._add_process(pid, st, now)
                    scope.add(pid)
                    del parents[pid]
                    grew = True
        self.foreign.update(parents)
        self._scanned_at = last if complete else b""

    def _add_process(self, pid: int, st: ProcStat, now: int) -> None:
        exe = read_exe(pid)
        cmdline = read_cmdline(pid)
        name = read_text(f"/proc/{pid}/comm").strip() or os.path.basename(exe)
        python = is_python(exe or (cmdline[0] if cmdline else ""))
        proc = TrackedProcess(SeenProcess(pid, st.ppid, name, cmdline, exe, now, now, python))
        proc.exec_key, proc.last_check = st.exec_key, now
        self.procs[pid] = proc
        if self.force_schedstat:
            proc.schedstat_only, proc.why_schedstat = True, self.force_schedstat
        try:
            proc.fd_stat = self.opener.open(f"/proc/{pid}/stat")
            if self.states:  # its link count tells a new thread at every tick (tree.py)
                proc.fd_task = self.opener.open(f"/proc/{pid}/task")
        except OSError:
            pass
        if self.states:
            parent = self.procs.get(st.ppid)
            if parent is not None and parent.forked_as(proc):
                proc.inherit_gil(parent, now)
            else:
                proc.resolve_gil(now)

    def refresh_after_exec(self, proc: TrackedProcess, since: int) -> None:
        pid = proc.info.pid
        proc.info.exe = read_exe(pid) or proc.info.exe
        proc.info.cmdline = read_cmdline(pid) or proc.info.cmdline
        proc.info.name = read_text(f"/proc/{pid}/comm").strip() or proc.info.name
        if self.states:
            proc.resolve_tries = 0
            proc.resolve_gil(since, after_exec=True)

    def discover_threads(self, proc: TrackedProcess, now: int) -> None:
        pid = proc.info.pid
        try:
            tids = {int(n) for n in os.listdir(f"/proc/{pid}/task")}
        except OSError:
            return
        for tid in tids - proc.threads.keys():
            comm = read_text(f"/proc/{pid}/task/{tid}/comm").strip()
            kind = "stat" if proc.schedstat_only else "syscall"
            base = f"/proc/{pid}/task/{tid}/"
            th = TrackedThread(
                SeenThread(pid, tid, comm, now, now), base + kind, base + "schedstat"
            )
            proc.threads[tid] = th
            if self.states:
                self.open_thread(proc, th)
            if th.alive:
                proc.live.append(th)
        for th in proc.live:
            if th.info.tid not in tids:
                self.close_thread(th)
                continue
            if not self.states:
                th.info.last_ns = now
            if not th.comm_checked and now - th.info.first_ns >= RENAME_NS:
                th.comm_checked = True
                th.info.comm = read_text(f"/proc/{pid}/task/{th.info.tid}/comm").strip() or (
                    th.info.comm
                )
        proc.live = [th for th in proc.live if th.alive]

    def open_thread(self, proc: TrackedProcess, th: TrackedThread) -> None:
        try:
            th.fd_a = self.opener.open(th.path_a)
            th.fd_b = self.opener.open(th.path_b)
        except OSError as exc:
            if exc.errno in GONE:
                self.close_thread(th)
            elif not proc.schedstat_only:
                self.to_schedstat_only(proc, exc, th)
            return
        if self.kernel_stacks and not proc.schedstat_only:
            try:  # optional: without it the sampler only loses a refinement
                th.fd_k = self.opener.open(th.path_b[: -len("schedstat")] + "stack")
            except OSError:
                th.fd_k = -1

    def close_thread(self, th: TrackedThread) -> None:
        self._close_fds(th)
        th.alive = False

    def _close_fds(self, th: TrackedThread) -> None:
        for fd in (th.fd_a, th.fd_b, th.fd_k):
            self.opener.close(fd)
        th.fd_a = th.fd_b = th.fd_k = -1

    def to_schedstat_only(
        self, proc: TrackedProcess, exc: OSError, extra: TrackedThread | None = None
    ) -> None:
        """No access to the syscall file: sample the stat state letter instead."""
        proc.schedstat_only = True
        proc.why_schedstat = f"{exc.strerror or exc} reading {exc.filename or 'syscall'}"
        for th in proc.live + ([extra] if extra is not None and extra not in proc.live else []):
            self._close_fds(th)
            th.path_a = th.path_a.rsplit("/", 1)[0] + "/stat"
            self.open_thread(proc, th)

    def end_process(self, proc: TrackedProcess) -> None:
        proc.alive = False
        self._close_process(proc)

    def close_all(self) -> None:
        if self._last_pid_fd >= 0:
            os.close(self._last_pid_fd)
            self._last_pid_fd = -1
        for proc in self.live():
            for th in proc.live:
                th.info.comm = read_text(th.path_b[: -len("schedstat")] + "comm").strip() or (
                    th.info.comm
                )
            self._close_process(proc)

    def _close_process(self, proc: TrackedProcess) -> None:
        for th in proc.live:
            self.close_thread(th)
        proc.live = []
        self.opener.close(proc.fd_stat)
        self.opener.close(proc.fd_task)
        proc.fd_stat = proc.fd_task = -1


def _open_last_pid() -> int:
    try:
        fd = os.open("/proc/sys/kernel/ns_last_pid", os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        return -1
    try:
        if os.pread(fd, 32, 0).strip().isdigit():
            return fd
    except OSError:
        pass
    os.close(fd)
    return -1
