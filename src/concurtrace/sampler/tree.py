"""TreeSampler: samples every descendant of one process from a background thread.

Linux: thread states at `hz` (+-30 % jitter) by pread() of /proc/P/task/T/syscall
and schedstat on kept fds (and, as root, the kernel stack of a thread that syscall
says is running: kstack.py), at most `budget` thread-samples/s; tree discovery at
25 Hz, and within 5 ms of a new pid in the system (ns_last_pid; neither while no pid was
handed out since the last scan: tracking.py); per-process
counters from /proc/P/stat at 20 Hz. Elsewhere: psutil counters only (see portable.py).
"""

from __future__ import annotations

import os
import random
import sys
import threading
import time
from collections.abc import Iterable
from typing import TYPE_CHECKING

from concurtrace.model.sampled import SampleResult
from concurtrace.options import DEFAULT_SAMPLE_HZ

from .build import Measured, build_result
from .counters import sample_counters
from .cpubudget import SATURATED_SHARE, CpuBudget
from .kstack import preempted_at_syscall_exit, stacks_readable
from .procfs import DENIED, NO_FDS, FdOpener, parse_schedstat, read_bytes
from .result import GIL_BIN_NS
from .syscalls import FUTEX, OTHER, RUNNING, classify_line, table_for
from .tracked import TrackedProcess, TrackedThread
from .tracking import Tracker

if TYPE_CHECKING:
    from .portable import PortableLoop

DISCOVER_NS = 40_000_000
# A process scan as soon as the system's process count moved, at most this often:
# children that live a few ms are seen too.
FAST_DISCOVER_NS = 5_000_000
COUNTER_NS = 50_000_000  # stat read, exec check, RSS and threads


class TreeSampler:
    def __init__(
        self,
        ancestor_pid: int,
        hz: float = DEFAULT_SAMPLE_HZ,
        states: bool = True,
        budget: float = 5000.0,
        gil_disabled_pids: Iterable[int] = (),
    ) -> None:
        self.ancestor_pid = ancestor_pid
        self.hz = max(1.0, float(hz))
        self.states = states
        self.budget = max(1.0, float(budget))
        self.gil_disabled_pids: set[int] = set(gil_disabled_pids)
        self.linux = sys.platform.startswith("linux") and os.path.isdir("/proc/self/task")
        self._table = table_for()
        self._opener = FdOpener()
        # Kernel stacks (root only) tell a thread preempted inside the GIL functions.
        self.kernel_stacks = states and self.linux and stacks_readable()
        self._tracker = Tracker(ancestor_pid, self._opener, states and self.linux,
                                self.kernel_stacks)
        self._thread: threading.Thread | None = None
        self._stopping = False
        self._rng = random.Random()
        self._notes: list[str] = []
        self._t0 = self._t_end = 0
        self._cpu_s = 0.0
        self._samples = self._ticks = self._max_threads = 0
        self._lowest_hz = self._thread_lowest_hz = self._cpu_lowest_hz = self.hz
        self._cpu_budget = CpuBudget()
        self._proc_links = 0  # st_nlink of /proc at the last look
        self._portable: PortableLoop | None = None

    def not_descendants(self, pids: Iterable[int]) -> None:
        """Pids that existed before the tree's first process was spawned, so are none of
        its members: the first scan reads no /proc/P/stat of theirs (one per process on
        the machine, ~25 us each, while the run's set-up waits for the GIL)."""
        self._tracker.foreign.update(pid for pid in pids if pid != self.ancestor_pid)

    def mark_gil_disabled(self, pid: int) -> None:
        """The runner says this pid runs a free-threaded build: never label gil."""
        self.gil_disabled_pids.add(pid)

    def start(self) -> None:
        self._t0 = time.monotonic_ns()
        self._thread = threading.Thread(target=self._run, name="concurtrace-sampler", daemon=True)
        self._thread.start()

    def request_stop(self) -> None:
        """The tree is gone: the loop ends after its current sleep, while the caller reads
        the records, so stop() then finds it done instead of waiting out that sleep."""
        self._stopping = True

    def stop(self) -> SampleResult:
        self._stopping = True
        if self._thread is not None:
            self._thread.join(timeout=10.0)
        return self._build()

    # -- background thread -------------------------------------------------------
    def _run(self) -> None:
        cpu0 = time.thread_time()
        try:
            if self.linux:
                if self.states and self._table is None:
                    self._tracker.force_schedstat = f"no syscall table for {os.uname().machine}"
                self._loop()
            else:
                from .portable import PortableLoop

                loop = PortableLoop(self.ancestor_pid, self._notes)
                self._portable = loop
                loop.run(lambda: self._stopping)
        except Exception as exc:  # never take the runner down
            self._notes.append(f"sampler stopped early: {exc!r}")
        finally:
            self._tracker.close_all()
            self._t_end = time.monotonic_ns()
            self._cpu_s = time.thread_time() - cpu0

    def _loop(self) -> None:
        mono = time.monotonic_ns
        next_disc = next_ctr = next_fast = 0
        target = mono()
        while not self._stopping:
            now = mono()
            if now >= next_disc:
                self._tracker.discover(now)
                next_disc, next_fast = now + DISCOVER_NS, now + FAST_DISCOVER_NS
            elif self.states and now >= next_fast and self._new_process_maybe():
                self._tracker.discover_processes(now)
                next_fast = now + FAST_DISCOVER_NS
            if now >= next_ctr:
                self._counters(now)
                next_ctr = now + COUNTER_NS
            period = DISCOVER_NS
            if self.states:
                nthreads, slow, runnable = self._tick()
                self._ticks += 1
                self._cpu_budget.tick(runnable, mono())
                period = int(1e9 / self._rate(nthreads, slow))
            target += int(period * self._rng.uniform(0.7, 1.3))
            now = mono()
            if target < now - period:
                target = now  # fell behind: do not burst
            elif target > now:
                time.sleep((target - now) / 1e9)

    def _new_process_maybe(self) -> bool:
        """A pid handed out since the last scan (exact, also for a start and an exit in
        between); without ns_last_pid, the system's process count moved."""
        if self._tracker.has_last_pid:
            return self._tracker.pids_created()
        return self._process_count_moved()

    def _process_count_moved(self) -> bool:
        """procfs gives /proc a link count that follows the number of processes: a
        cheap tell that one started (or ended) since the last look."""
        try:
            links = os.stat("/proc").st_nlink
        except OSError:
            return False
        moved, self._proc_links = links != self._proc_links, links
        return moved

    def _rate(self, nthreads: int, slow: int = 0) -> float:
        """Keep thread-samples/s within budget (a by-path sample costs about 3), then
        within the CPU budget while the tree has more runnable threads than CPUs."""
        self._max_threads = max(self._max_threads, nthreads)
        weight = nthreads + 2 * slow
        hz = self.hz
        if weight * self.hz > self.budget:
            hz = max(1.0, self.budget / weight)
            self._thread_lowest_hz = min(self._thread_lowest_hz, hz)
        scale = self._cpu_budget.scale
        if scale < 1.0:
            hz = max(1.0, hz * scale)
            self._cpu_lowest_hz = min(self._cpu_lowest_hz, hz)
        self._lowest_hz = min(self._lowest_hz, hz)
        return hz

    def _tick(self) -> tuple[int, int, int]:
        """One sample of every live thread: (threads, threads read by path, threads
        running or queued for a CPU)."""
        mono, pread, table = time.monotonic_ns, os.pread, self._table
        total = slow = done = runnable = 0
        for proc in self._tracker.live():
            # A new thread starts, usually waiting for the GIL: find it at once, not at
            # the next 40 ms discovery (a cheap fstat of the task directory tells).
            links = _task_links(proc)
            if links != proc.task_links:
                proc.task_links = links
                self._tracker.discover_threads(proc, mono())
            b = (mono() - self._t0) // GIL_BIN_NS
            proc.ticks[b] = proc.ticks.get(b, 0) + 1
            stat_mode = proc.schedstat_only or table is None
            # A kernel stack only tells a thread preempted inside the GIL functions: with one
            # thread (a pool worker) nobody else holds the GIL, and a non-Python has none.
            stacks = len(proc.live) > 1 and proc.info.python
            lost: list[tuple[TrackedThread, OSError | None]] = []
            for th in proc.live:
                try:
                    ts = mono()
                    a = pread(th.fd_a, 256, 0) if th.fd_a >= 0 else read_bytes(th.path_a, 256)
                    on, rq, slices = parse_schedstat(
                        pread(th.fd_b, 64, 0) if th.fd_b >= 0 else read_bytes(th.path_b, 64)
                    )
                    if a[:10] == b"-1 0x0 0x0":  # exited, not yet reaped (zombie)
                        raise ValueError("zombie")
                except (OSError, ValueError, IndexError) as exc:
                    if not isinstance(exc, OSError):
                        lost.append((th, None))
                    elif exc.errno not in NO_FDS:  # out of fds: skip this sample only
                        lost.append((th, exc))
                    continue
                smp = th.samples
                if stat_mode or table is None:
                    code = RUNNING if a[a.rfind(b")") + 2 :][:1] == b"R" else OTHER
                    runnable += code == RUNNING
                elif a[0] == 114:  # b"running"
                    code = RUNNING
                    runnable += 1
                    if stacks and th.fd_k >= 0 and _exiting(th.fd_k):
                        smp.exiting.add(len(smp.ts))
                else:
                    code, uaddr = classify_line(a, table)
                    if code == FUTEX:
                        smp.futex[len(smp.ts)] = uaddr
                smp.ts.append(ts)
                smp.code.append(code)
                smp.on.append(on)
                smp.rq.append(rq)
                smp.slices.append(slices)
                done += 1
            total += len(proc.live)
            if self._opener.warned:  # some threads are read by path
                slow += sum(1 for th in proc.live if th.fd_a < 0 or th.fd_b < 0)
            if lost:
                self._drop(proc, lost)
        self._samples += done
        return total, slow, runnable

    def _drop(self, proc: TrackedProcess, lost: list[tuple[TrackedThread, OSError | None]]) -> None:
        denied = next((e for _, e in lost if e is not None and e.errno in DENIED), None)
        if denied is not None and not proc.schedstat_only:
            self._tracker.to_schedstat_only(proc, denied)
            return
        for th, _ in lost:
            self._tracker.close_thread(th)
        proc.live = [th for th in proc.live if th.alive]

    def _counters(self, now: int) -> None:
        sample_counters(self._tracker, now, self.states)

    # -- result ------------------------------------------------------------------
    def _build(self) -> SampleResult:
        return build_result(Measured(
            hz=self.hz, budget=self.budget, states=self.states, kernel_stacks=self.kernel_stacks,
            gil_disabled_pids=self.gil_disabled_pids, t0=self._t0, t_end=self._t_end,
            cpu_s=self._cpu_s, samples=self._samples, ticks=self._ticks,
            max_threads=self._max_threads, lowest_hz=self._lowest_hz,
            thread_lowest_hz=self._thread_lowest_hz, cpu_lowest_hz=self._cpu_lowest_hz,
            cpu_budget_s=self._cpu_budget.lowered_ns / 1e9, cpus=self._cpu_budget.cpus,
            cpu_share=SATURATED_SHARE, notes=self._notes,
            opener_notes=self._opener.notes, procs=self._tracker.procs,
            portable=self._portable))


def _task_links(proc: TrackedProcess) -> int:
    """st_nlink of /proc/P/task (threads + 2), by fstat of a kept fd: no path lookup."""
    try:
        if proc.fd_task >= 0:
            return os.fstat(proc.fd_task).st_nlink
        return os.stat(f"/proc/{proc.info.pid}/task").st_nlink
    except OSError:
        return proc.task_links


def _exiting(fd: int) -> bool:
    """Whether the kernel stack on fd shows a preemption at a syscall exit."""
    try:
        return preempted_at_syscall_exit(os.pread(fd, 2048, 0))
    except OSError:
        return False
