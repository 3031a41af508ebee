"""TreeSampler against real child processes (the test process is the ancestor).

Tolerances are wide on purpose: these run on noisy 2-core machines. Where the
machine is busy, a GIL-bound thread also waits on the run queue: inside
take_gil/drop_gil that is GIL wait, elsewhere "waiting for CPU". The checks then
compare the GIL share with what the kernel itself says (schedstat read inside the
child) instead of a fixed band.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from interpreters import INTERPRETERS, version_id
from run_totals import state_shares

from concurtrace.sampler import COUNTER_NAMES, SampleResult, TreeSampler

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="needs /proc")



WORKLOAD = r"""
import json, sys, threading, time
DUR = float(sys.argv[1])
report = {}
stop = time.monotonic() + DUR
lock = threading.Lock()
lock.acquire()

def sched():
    on, rq = open(f"/proc/self/task/{threading.get_native_id()}/schedstat").read().split()[:2]
    return time.monotonic_ns(), int(on), int(rq)

def role(name, body):
    def run():
        start = sched()
        body()
        report[name] = {"tid": threading.get_native_id(), "start": start, "end": sched()}
    return threading.Thread(target=run, name=name)

def cpu():
    x = 0
    while time.monotonic() < stop:
        x += 1

threads = [role("cpu1", cpu), role("cpu2", cpu), role("sleep", lambda: time.sleep(DUR)),
           role("lock", lock.acquire)]
for t in threads:
    t.start()
time.sleep(DUR)
lock.release()
for t in threads:
    t.join()
print(json.dumps(report), flush=True)
"""


def run_under_sampler(
    argv: list[str], sampler: TreeSampler | None = None, **kwargs: float
) -> tuple[SampleResult, subprocess.CompletedProcess[str]]:
    sampler = sampler or TreeSampler(os.getpid(), **kwargs)  # type: ignore[arg-type]
    sampler.start()
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    finally:
        result = sampler.stop()
    assert done.returncode == 0, done.stderr
    assert not [n for n in result.notes if "stopped early" in n], result.notes
    return result, done


def check_runs_tile(result: SampleResult) -> None:
    for key, runs in result.states.items():
        th = result.threads[key]
        if not runs:
            continue
        assert runs[0].ts == th.first_ns and runs[-1].ts + runs[-1].dur == th.last_ns
        for a, b in zip(runs, runs[1:], strict=False):
            assert a.ts + a.dur == b.ts, f"overlap or gap in {key}"


def workload(tmp_path: Path, python: Path | str, dur: float = 1.5) -> list[str]:
    script = tmp_path / "workload.py"
    script.write_text(WORKLOAD)
    return [str(python), str(script), str(dur)]


@pytest.mark.parametrize(
    "python", INTERPRETERS, ids=version_id
)
def test_gil_lock_sleep_per_version(python: Path, tmp_path: Path) -> None:
    if not python.exists():
        pytest.skip(f"{python} not installed")
    result, done = run_under_sampler(workload(tmp_path, python))
    report = json.loads(done.stdout)
    assert result.gil_method == "proc-syscall", result.notes
    check_runs_tile(result)
    (pid,) = [
        p.pid
        for p in result.processes.values()
        if p.cmdline[1:2] == [str(tmp_path / "workload.py")]
    ]
    assert result.processes[pid].python
    shares = {}
    for name, info in report.items():
        runs = result.states[(pid, info["tid"])]
        assert runs, name
        shares[name] = state_shares(runs)
    print(
        version_id(python),
        {n: {k: round(v, 3) for k, v in s.items() if v} for n, s in shares.items()},
    )
    for name in ("cpu1", "cpu2"):
        s = shares[name]
        (t0, on0, rq0), (t1, on1, rq1) = report[name]["start"], report[name]["end"]
        # Kernel truth: time neither on a CPU nor runnable is GIL wait for this thread;
        # run-queue time may be too (queued inside take_gil/drop_gil), or not.
        off = 1.0 - ((on1 - on0) + (rq1 - rq0)) / (t1 - t0)
        rq_share = (rq1 - rq0) / (t1 - t0)
        assert off - 0.15 < s["gil"] < off + rq_share + 0.15, (name, s, off, rq_share)
        assert 0.3 <= s["gil"] + s["runqueue"] <= 0.8, (name, s)
        assert s["gil"] >= 0.1, (name, s)
        if rq_share < 0.1:  # quiet machine: the plain band
            assert 0.3 <= s["gil"] <= 0.7, (name, s)
    # Next to CPU threads a sleeper waits for the GIL at each wake-up (the convoy effect): small,
    # not zero, and it grows with machine load.
    assert shares["sleep"]["gil"] < 0.12 and shares["sleep"]["sleep"] > 0.75, shares["sleep"]
    # Each time the lock is handed over the waiter must also take the GIL: a few percent,
    # up to ~15 % on a loaded 2-core machine (0.151 seen with two other busy processes),
    # and always well below its lock wait.
    lock = shares["lock"]
    assert lock["lock"] > 0.6 and lock["gil"] < 0.2 and lock["gil"] < lock["lock"] / 3, lock
    names = {c.name for c in result.counters if c.pid == pid}
    assert names == set(COUNTER_NAMES)
    gil = next(c for c in result.counters if c.pid == pid and c.name == "GIL wait (threads)")
    assert 0.3 < max(v for _, v in gil.points) <= 5
    assert result.stats.samples > 0 and result.stats.cpu_s > 0


ONE_CORE = r"""
import json, os, sys, threading, time
os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})  # all threads on one CPU
stop = time.monotonic() + float(sys.argv[1])
report = {}

def cpu(name):
    tid = threading.get_native_id()
    def sched():
        on, rq = open(f"/proc/self/task/{tid}/schedstat").read().split()[:2]
        return time.monotonic_ns(), int(on), int(rq)
    start, x = sched(), 0
    while time.monotonic() < stop:
        x += 1
    report[name] = {"tid": tid, "start": start, "end": sched()}

threads = [threading.Thread(target=cpu, args=(n,), name=n) for n in ("cpu1", "cpu2")]
for t in threads:
    t.start()
for t in threads:
    t.join()
print(json.dumps(report), flush=True)
"""


def test_queued_inside_take_gil_is_gil_wait_not_cpu_wait(tmp_path: Path) -> None:
    # Two CPU threads on one core: every GIL hand-off leaves the thread that gave it up
    # queued behind the new holder inside drop_gil, and the timed-out waiter queued
    # inside take_gil. The kernel counts that as run-queue time; it is GIL wait.
    script = tmp_path / "one_core.py"
    script.write_text(ONE_CORE)
    result, done = run_under_sampler([sys.executable, str(script), "1.5"])
    report = json.loads(done.stdout)
    (pid,) = [p.pid for p in result.processes.values() if p.cmdline[1:2] == [str(script)]]
    for name, info in report.items():
        s = state_shares(result.states[(pid, info["tid"])])
        (t0, on0, rq0), (t1, on1, rq1) = info["start"], info["end"]
        on_share, rq_share = (on1 - on0) / (t1 - t0), (rq1 - rq0) / (t1 - t0)
        runs = result.states[(pid, info["tid"])]
        queued = sum(r.queued_ns for r in runs) / sum(r.dur for r in runs)
        print(name, {k: round(v, 3) for k, v in s.items() if v}, "queued", round(queued, 3),
              "kernel on-CPU", round(on_share, 3), "run queue", round(rq_share, 3))
        assert abs(s["running"] - on_share) < 0.15, (name, s, on_share)
        assert s["gil"] > 0.2 and s["running"] + s["gil"] + s["runqueue"] > 0.9, (name, s)
        # Most of the kernel's run-queue time was inside the GIL functions, where it is
        # GIL wait, and counted apart as queued.
        assert s["runqueue"] < max(0.05, rq_share / 2), (name, s, rq_share)
        assert queued > rq_share / 4, (name, queued, rq_share)


def test_schedstat_only_fallback(tmp_path: Path) -> None:
    sampler = TreeSampler(os.getpid())
    sampler._tracker.force_schedstat = "EACCES reading syscall (simulated)"
    result, done = run_under_sampler(workload(tmp_path, sys.executable, 1.0), sampler)
    report = json.loads(done.stdout)
    assert result.gil_method == "schedstat-only"
    assert any("GIL or untraced wait" in n and "ptrace_scope" in n for n in result.notes)
    check_runs_tile(result)
    pid = next(iter(result.processes))
    cpu = state_shares(result.states[(pid, report["cpu1"]["tid"])])
    (t0, on0, rq0), (t1, on1, rq1) = report["cpu1"]["start"], report["cpu1"]["end"]
    active = ((on1 - on0) + (rq1 - rq0)) / (t1 - t0)  # kernel truth: on CPU or runnable
    assert cpu["gil"] == 0 and cpu["other"] > 0.05, cpu
    assert abs(cpu["running"] + cpu["runqueue"] - active) < 0.15, (cpu, active)


def test_gil_disabled_pid_never_gil(tmp_path: Path) -> None:
    sampler = TreeSampler(os.getpid())
    sampler.start()
    child = subprocess.Popen(workload(tmp_path, sys.executable, 1.0), stdout=subprocess.PIPE)
    sampler.mark_gil_disabled(child.pid)
    out, _ = child.communicate(timeout=60)
    result = sampler.stop()
    report = json.loads(out)
    cpu = state_shares(result.states[(child.pid, report["cpu1"]["tid"])])
    assert cpu["gil"] == 0 and cpu["lock"] > 0.1, cpu


CHURN = r"""
import multiprocessing as mp, threading, time
def work(i):
    time.sleep(0.01 * (i % 3))
if __name__ == "__main__":
    mp.set_start_method("fork")
    for wave in range(3):
        procs = [mp.Process(target=work, args=(i,)) for i in range(16)]
        [p.start() for p in procs]
        threads = [threading.Thread(target=time.sleep, args=(0.02,)) for _ in range(100)]
        [t.start() for t in threads]
        [p.join() for p in procs]
        [t.join() for t in threads]
    with mp.Pool(4) as pool:
        pool.map(work, range(40))
"""


def test_fork_storm_and_thread_churn(tmp_path: Path) -> None:
    script = tmp_path / "churn.py"
    script.write_text(CHURN)
    result, _ = run_under_sampler([sys.executable, str(script)])
    check_runs_tile(result)
    assert len(result.processes) >= 10  # many live < 40 ms: some are never seen
    assert len(result.threads) >= 20
    assert result.gil_method == "proc-syscall", result.notes


def test_budget_lowers_rate(tmp_path: Path) -> None:
    code = (
        "import threading; e = threading.Event()\n"
        "ts = [threading.Thread(target=e.wait, args=(1.2,)) for _ in range(60)]\n"
        "[t.start() for t in ts]; [t.join() for t in ts]"
    )
    result, _ = run_under_sampler([sys.executable, "-c", code], hz=500.0, budget=3000.0)
    assert any("lowered" in n for n in result.notes), result.notes
    assert result.stats.max_threads >= 60
    assert result.stats.hz_effective < 200


def test_counters_only_and_portable(tmp_path: Path) -> None:
    argv = workload(tmp_path, sys.executable, 0.8)
    result, _ = run_under_sampler(argv, states=False)
    assert result.gil_method == "none" and not any(result.states.values())
    pid = next(iter(result.processes))
    assert {c.name for c in result.counters if c.pid == pid} == {"CPU %", "RSS MB", "threads"}
    assert len([t for t in result.threads if t[0] == pid]) >= 5

    portable = TreeSampler(os.getpid())
    portable.linux = False  # what macOS / Windows get
    result, _ = run_under_sampler(argv, portable)
    assert result.gil_method == "none"
    assert any("psutil" in n for n in result.notes)
    pid = next(iter(result.processes))
    assert {c.name for c in result.counters if c.pid == pid} == {"CPU %", "RSS MB", "threads"}
    assert any(c.name == "CPU %" and max(v for _, v in c.points) > 10 for c in result.counters)


def test_stop_without_start() -> None:
    result = TreeSampler(os.getpid()).stop()
    assert result.processes == {} and result.gil_method == "none"


HAND_OFF = r"""
import hashlib, json, os, sys, threading, time
os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})  # all threads on one CPU
stop = time.monotonic() + float(sys.argv[1])
big = b"x" * (4 << 20)

def c_code():  # hashlib releases the GIL; it wants it back between calls
    while time.monotonic() < stop:
        hashlib.sha256(big).digest()

def python():
    x = 0
    while time.monotonic() < stop:
        x += 1

threads = [threading.Thread(target=c_code), threading.Thread(target=python)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print(json.dumps({"python": threads[1].native_id}), flush=True)
"""


def test_kernel_stack_tells_preemption_inside_the_gil_functions(tmp_path: Path) -> None:
    # A pure-Python thread next to a GIL-releasing C thread on one core: when it hands
    # the GIL over, the woken C thread preempts it as it returns from the futex wake in
    # drop_gil. Only the kernel stack (root) shows where it stopped; such samples are
    # GIL wait, queued for a CPU.
    script = tmp_path / "hand_off.py"
    script.write_text(HAND_OFF)
    sampler = TreeSampler(os.getpid())
    if not sampler.kernel_stacks:
        pytest.skip("kernel stacks are readable only as root (CAP_SYS_ADMIN)")
    result, done = run_under_sampler([sys.executable, str(script), "1.5"], sampler)
    assert result.stats.kernel_stacks
    tid = json.loads(done.stdout)["python"]
    (pid,) = [p.pid for p in result.processes.values() if p.cmdline[1:2] == [str(script)]]
    samples = sampler._tracker.procs[pid].threads[tid].samples
    flagged = [samples.ts[i] for i in sorted(samples.exiting)]
    runs = result.states[(pid, tid)]
    print(len(flagged), "of", len(samples), "samples preempted at a syscall exit")
    assert len(flagged) >= 5, len(flagged)
    for ts in flagged:
        (run,) = [r for r in runs if r.ts <= ts < r.ts + r.dur] or [runs[-1]]
        assert run.state == "gil" and run.queued_ns > 0, (ts, run)
    check_runs_tile(result)


def test_kernel_stacks_can_be_switched_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONCURTRACE_KERNEL_STACKS", "0")
    sampler = TreeSampler(os.getpid())
    assert not sampler.kernel_stacks
    assert not sampler.stop().stats.kernel_stacks


def test_without_cap_sys_admin_no_kernel_stacks() -> None:
    # What a user without root gets: /proc/P/task/T/stack is refused, the sampler goes on.
    if os.geteuid() != 0 or shutil.which("setpriv") is None:
        pytest.skip("needs root and setpriv to drop CAP_SYS_ADMIN")
    code = ("import os; from concurtrace.sampler import TreeSampler; "
            "s = TreeSampler(os.getpid()); print(s.kernel_stacks, s.stop().stats.kernel_stacks)")
    done = subprocess.run(["setpriv", "--bounding-set", "-sys_admin", sys.executable, "-c", code],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["False", "False"]
