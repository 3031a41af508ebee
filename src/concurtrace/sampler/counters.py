"""Per-process counters from /proc/P/stat at 20 Hz: CPU % (over >= 100 ms), RSS MB,
threads; also where exits and execs are noticed."""

from __future__ import annotations

from .procfs import CLK_TCK, PAGE, parse_stat, pread_or_path
from .result import CPU_COUNTER, RSS_COUNTER, THREADS_COUNTER
from .tracking import Tracker

CPU_WINDOW_NS = 100_000_000  # CPU % is averaged over >= 100 ms (10 ms tick units)


def sample_counters(tracker: Tracker, now: int, states: bool) -> None:
    """Read /proc/P/stat of each live process: end, exec check, CPU %, RSS, threads."""
    for proc in tracker.live():
        pid = proc.info.pid
        try:
            st = parse_stat(pread_or_path(proc.fd_stat, f"/proc/{pid}/stat", 1024))
        except OSError:
            st = None
        if st is None or st.state in ("Z", "X", "x"):
            tracker.end_process(proc)
            for name in (CPU_COUNTER, RSS_COUNTER, THREADS_COUNTER):
                proc.add_point(name, proc.info.last_ns, 0.0)
            continue
        proc.info.last_ns = now
        if st.exec_key != proc.exec_key and st.exec_key != (0, 0):
            proc.exec_key = st.exec_key  # exec'd since last_check: new layout
            tracker.refresh_after_exec(proc, proc.last_check)
        elif states and proc.info.python and proc.gil_range is None and proc.resolve_tries < 10:
            proc.resolve_gil(now)
        proc.last_check = now
        if proc.last_cpu is None:
            proc.last_cpu = (now, st.cpu_ticks)
        elif now - proc.last_cpu[0] >= CPU_WINDOW_NS:
            t_prev, ticks_prev = proc.last_cpu
            pct = (st.cpu_ticks - ticks_prev) / CLK_TCK / ((now - t_prev) / 1e9) * 100.0
            proc.add_point(CPU_COUNTER, t_prev, round(pct, 1))
            proc.last_cpu = (now, st.cpu_ticks)
        proc.add_point(RSS_COUNTER, now, round(st.rss_pages * PAGE / 2**20, 2))
        proc.add_point(THREADS_COUNTER, now, float(st.num_threads))
