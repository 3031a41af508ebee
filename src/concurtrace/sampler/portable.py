"""Off-Linux fallback: psutil-only discovery and counters (no thread states)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from concurtrace.model.naming import is_python
from concurtrace.model.sampled import SeenProcess, SeenThread
from concurtrace.model.series import CounterSeries

from .result import CPU_COUNTER, RSS_COUNTER, THREADS_COUNTER

PERIOD_S = 0.1
NOTE = (
    "thread states need Linux /proc (per-thread syscall and schedstat): on this platform "
    "only psutil counters (CPU %, RSS MB, threads) were sampled; no GIL or wait states"
)


class PortableLoop:
    def __init__(self, ancestor_pid: int, notes: list[str]) -> None:
        self.ancestor_pid = ancestor_pid
        self.notes = notes
        self.processes: dict[int, SeenProcess] = {}
        self.threads: dict[tuple[int, int], SeenThread] = {}
        self.series: dict[tuple[int, str], CounterSeries] = {}
        self._cpu: dict[int, tuple[int, float]] = {}
        self._alive: set[int] = set()

    def run(self, should_stop: Callable[[], bool]) -> None:
        try:
            import psutil
        except ImportError:  # pragma: no cover - psutil is a dependency
            self.notes.append("psutil is missing: no sampling at all")
            return
        self.notes.append(NOTE)
        try:
            root = psutil.Process(self.ancestor_pid)
        except psutil.Error as exc:
            self.notes.append(f"cannot sample the process tree: {exc}")
            return
        while not should_stop():
            now = time.monotonic_ns()
            try:
                children = root.children(recursive=True)
            except psutil.Error:
                break
            seen = set()
            for child in children:
                try:
                    self._sample(child, now)
                    seen.add(child.pid)
                except psutil.Error:
                    continue
            for pid in self._alive - seen:
                self._point(pid, CPU_COUNTER, self.processes[pid].last_ns, 0.0)
                self._point(pid, THREADS_COUNTER, self.processes[pid].last_ns, 0.0)
            self._alive = seen
            time.sleep(PERIOD_S)

    def _sample(self, proc: Any, now: int) -> None:
        pid = proc.pid
        with proc.oneshot():
            if pid not in self.processes:
                cmdline = _safe(proc.cmdline, [])
                exe = _safe(proc.exe, "")
                name = _safe(proc.name, "")
                python = is_python(exe or name)
                self.processes[pid] = SeenProcess(
                    pid, proc.ppid(), name, cmdline, exe, now, now, python
                )
            self.processes[pid].last_ns = now
            times = proc.cpu_times()
            cpu = float(times.user + times.system)
            prev = self._cpu.get(pid)
            if prev is not None and now > prev[0]:
                pct = (cpu - prev[1]) / ((now - prev[0]) / 1e9) * 100.0
                self._point(pid, CPU_COUNTER, prev[0], round(pct, 1))
            self._cpu[pid] = (now, cpu)
            self._point(pid, RSS_COUNTER, now, round(proc.memory_info().rss / 2**20, 2))
            self._point(pid, THREADS_COUNTER, now, float(proc.num_threads()))
            for th in _safe(proc.threads, []):
                key = (pid, int(th.id))
                seen = self.threads.setdefault(key, SeenThread(pid, int(th.id), "", now, now))
                seen.last_ns = now

    def _point(self, pid: int, name: str, ts: int, value: float) -> None:
        self.series.setdefault((pid, name), CounterSeries(pid, name)).add(ts, value)


def _safe(call: Callable[[], Any], default: Any) -> Any:
    try:
        return call()
    except Exception:
        return default
