"""Pure parts of the sampler: state merging/correction, syscall classification,
/proc/P/stat parsing and the ELF reader (on the real interpreters)."""

from __future__ import annotations

import ctypes
import json
import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from interpreters import INTERPRETERS, version_id
from run_totals import state_totals

from concurtrace.model.samples import CORRECT_MAX_DT_NS, Sample, resolve_running
from concurtrace.model.states import merge_samples, merge_with_states
from concurtrace.model.vocabulary import STATE_KEYS
from concurtrace.sampler.elfsyms import (
    ElfSymbol,
    Mapping,
    find_symbol_range,
    load_bias,
    read_symbol,
)
from concurtrace.sampler.procfs import UNKNOWN_SCHEDSTAT, parse_schedstat, parse_stat
from concurtrace.sampler.syscalls import classify, table_for

MS = 1_000_000


def _tiles(runs: list, first: int, last: int) -> None:
    assert runs[0].ts == first
    for a, b in zip(runs, runs[1:], strict=False):
        assert a.ts + a.dur == b.ts, "runs must not overlap nor leave gaps"
        assert a.state != b.state, "equal neighbours must be merged"
    assert runs[-1].ts + runs[-1].dur == last
    assert all(r.dur > 0 and r.state in STATE_KEYS for r in runs)


# -- merging --------------------------------------------------------------------------
def test_merge_midpoint_and_runs() -> None:
    samples = [
        (0, "sleep", -1, -1),
        (10 * MS, "sleep", -1, -1),
        (20 * MS, "io", -1, -1),
        (30 * MS, "io", -1, -1),
    ]
    runs = merge_samples(samples)
    assert [(r.ts, r.dur, r.state) for r in runs] == [
        (0, 15 * MS, "sleep"),
        (15 * MS, 15 * MS, "io"),
    ]


def test_merge_single_or_empty() -> None:
    assert merge_samples([]) == []
    assert merge_samples([(5, "gil", 0, 0)]) == []


def test_merge_sorts_and_drops_duplicate_timestamps() -> None:
    runs = merge_samples([(20, "lock", -1, -1), (0, "gil", -1, -1), (20, "io", -1, -1)])
    _tiles(runs, 0, 20)
    assert state_totals(runs)["gil"] == 10 and state_totals(runs)["lock"] == 10


def test_running_vs_runqueue_from_schedstat() -> None:
    # on CPU: on-cpu grows; runnable: run_delay grows more than on-cpu.
    on = [
        Sample(0, "running", 0, 0),
        Sample(2 * MS, "running", 2 * MS, 0),
        Sample(4 * MS, "running", 4 * MS, 0),
    ]
    assert resolve_running(on) == ["running"] * 3
    rq = [
        Sample(0, "running", 0, 0),
        Sample(2 * MS, "running", 0, 2 * MS),
        Sample(4 * MS, "running", 100, 4 * MS),
    ]
    assert resolve_running(rq) == ["runqueue"] * 3
    assert resolve_running([Sample(0, "running"), Sample(1, "bogus")]) == ["running", "other"]


def test_running_time_is_the_on_cpu_time_when_the_sampler_rate_varies() -> None:
    # A CPU-bound thread on an oversubscribed machine, 6 ms on a CPU in 40 ms: the sampler
    # (itself short of CPU, or under its CPU budget) read it 1 ms apart, then once after
    # 30 ms. By count, 15 % of the 11 samples kept "running" took the long window with
    # them (30 ms of "running" for 6 ms of CPU); by time, running lasts the on-CPU time.
    samples = [(0, "sleep", 0, 0)]
    samples += [(t * MS, "running", (t - 1) * MS // 2, (t - 1) * MS // 2) for t in range(1, 11)]
    samples += [(40 * MS, "running", 6 * MS, 33 * MS), (41 * MS, "sleep", 6 * MS, 34 * MS)]
    totals = state_totals(merge_samples(samples))
    assert 4 * MS <= totals["running"] <= 8 * MS, totals
    assert totals["runqueue"] >= 30 * MS, totals


def test_a_thread_queued_for_long_is_waiting_for_cpu_though_its_wait_is_counted_late() -> None:
    # 16 CPU-bound workers on 2 CPUs: a worker woken at 2 ms waits for a CPU until 16 ms,
    # then runs 4 ms and blocks at 22 ms. Its run-queue wait is only counted when it reaches
    # the CPU, so the samples at 4..14 ms see neither total grow: a per-window vote called
    # them running (10 ms of "running" for 4 ms of CPU).
    samples = [(0, "sleep", 0, 0)]
    samples += [(t * MS, "running", 0, 0) for t in range(2, 16, 2)]
    samples += [(16 * MS, "running", 0, 14 * MS), (18 * MS, "running", 2 * MS, 14 * MS),
                (20 * MS, "running", 4 * MS, 14 * MS), (22 * MS, "sleep", 4 * MS, 14 * MS)]
    totals = state_totals(merge_samples(samples))
    assert 3 * MS <= totals["running"] <= 6 * MS, totals
    assert totals["runqueue"] >= 12 * MS, totals
    states = resolve_running([Sample(*raw) for raw in samples])
    assert states[-3:-1] == ["running", "running"]  # the windows that ran stay running
    # A fork child's first schedstat reads may fail (-1): the share comes from the rest.
    unread = [(0, "running", -1, -1), (MS, "running", -1, -1), *samples[1:-1]]
    totals = state_totals(merge_samples(unread))
    assert totals["running"] <= 7 * MS and totals["runqueue"] >= 11 * MS, totals


def _two_blocked(state: str) -> list[tuple[int, str, int, int]]:
    """2 ms between two samples in state, of which 0.4 ms on CPU and 0.2 ms runnable."""
    return [(0, state, 1000, 500), (2 * MS, state, 1000 + 400_000, 500 + 200_000)]


def test_correction_between_blocked_samples() -> None:
    runs = merge_samples(_two_blocked("lock"))
    _tiles(runs, 0, 2 * MS)
    totals = state_totals(runs)
    assert totals["running"] == 400_000 and totals["runqueue"] == 200_000
    assert totals["lock"] == 2 * MS - 600_000
    assert [r.state for r in runs] == ["lock", "runqueue", "running", "lock"]
    # The same between two GIL samples: queued after a wake-up inside take_gil is GIL.
    samples = _two_blocked("gil")
    runs = merge_samples(samples)
    _tiles(runs, 0, 2 * MS)
    totals = state_totals(runs)
    assert totals["running"] == 400_000 and totals["runqueue"] == 0
    assert totals["gil"] == 2 * MS - 400_000
    assert [r.state for r in runs] == ["gil", "running", "gil"]
    # Capped at dt; and off when asked, when samples are far apart, or unknown.
    capped = state_totals(merge_samples([(0, "lock", 0, 0), (MS, "lock", 5 * MS, 0)]))
    assert capped["running"] == MS and capped["lock"] == 0
    assert state_totals(merge_samples(samples, correct=False))["gil"] == 2 * MS
    far = [(0, "gil", 0, 0), (CORRECT_MAX_DT_NS + 1, "gil", 400_000, 0)]
    assert state_totals(merge_samples(far))["gil"] == CORRECT_MAX_DT_NS + 1
    unknown = [(0, "gil", -1, -1), (2 * MS, "gil", 400_000, 0)]
    assert state_totals(merge_samples(unknown))["gil"] == 2 * MS


def test_correction_ignores_slivers_and_splits_edges_by_schedstat() -> None:
    sliver = [(0, "gil", 0, 0), (2 * MS, "gil", 10_000, 0)]
    assert [r.state for r in merge_samples(sliver)] == ["gil"]
    # gil -> running: the thread ran for 0.5 ms of the 2 ms, so it waited for 1.5 ms.
    edge = [(0, "gil", 0, 0), (2 * MS, "running", MS // 2, 0), (4 * MS, "running", 5 * MS // 2, 0)]
    runs = merge_samples(edge)
    assert [(r.state, r.dur) for r in runs] == [("gil", 3 * MS // 2), ("running", 5 * MS // 2)]


def test_a_sample_on_a_brief_wake_up_claims_only_the_cpu_time_it_used() -> None:
    # A GIL waiter wakes for 30 us (its timed wait) just as the sampler looks: the old
    # midpoint split gave that one sample 2 ms of "running"; schedstat says 60 us.
    samples = [(0, "gil", 0, 0), (2 * MS, "running", 30_000, 0), (4 * MS, "gil", 60_000, 0)]
    runs = merge_samples(samples)
    _tiles(runs, 0, 4 * MS)
    totals = state_totals(runs)
    assert totals["running"] == 60_000 and totals["gil"] == 4 * MS - 60_000
    # running -> lock with a run-queue wait: active time first, then the blocked state.
    out = merge_samples([(0, "running", 0, 0), (2 * MS, "lock", 300_000, 100_000)])
    assert [(r.state, r.dur) for r in out] == [("runqueue", 100_000), ("running", 300_000),
                                               ("lock", 2 * MS - 400_000)]


def test_queued_after_a_gil_wake_up_is_gil_wait_until_the_thread_gets_a_cpu() -> None:
    # Blocked in take_gil at 0 (slice count 5); woken at ~0.5 ms but queued: at 2 ms
    # /proc says "running" and schedstat has not moved (run-queue wait is only added
    # when the thread reaches a CPU); on a CPU from 3.5 ms, running Python.
    samples = [
        (0, "gil", 0, 0, 5),
        (2 * MS, "running", 0, 0, 5),
        (4 * MS, "running", 0, 3 * MS, 6),
        (6 * MS, "running", 5 * MS // 2, 3 * MS, 6),
    ]
    runs = merge_samples(samples)
    _tiles(runs, 0, 6 * MS)
    assert runs[0].state == "gil" and runs[0].dur >= 7 * MS // 2
    assert runs[-1].state == "running"
    # Queued after a sleep or a lock wait is waiting for CPU, not GIL.
    for blocked in ("sleep", "lock", "io"):
        after = [(0, blocked, 0, 0, 5), *samples[1:]]
        totals = state_totals(merge_samples(after))
        # truly queued 2-3.5 ms (and 0.5-2 under the blocked sample), on a CPU 3.5-6 ms
        assert totals["gil"] == 0 and MS <= totals["runqueue"] <= 2 * MS, blocked
        assert 2 * MS <= totals["running"] <= 3 * MS, blocked
    # Switched onto a CPU since the GIL sample (slice count moved): it may be running
    # Python with schedstat's on-CPU total not yet updated (that happens at a tick or
    # when it leaves the CPU), so that sample stays "running".
    moved = [samples[0], (2 * MS, "running", 0, 0, 6), (4 * MS, "running", 2 * MS, 0, 6)]
    merged = merge_with_states(moved)
    assert merged.states == ["gil", "running", "running"]
    assert merged.runs[-1].state == "running" and merged.runs[-1].dur >= 2 * MS


def test_queued_gil_time_is_counted_apart_inside_the_gil_runs() -> None:
    # 2 ms between two GIL samples: 0.4 ms on a CPU, 0.2 ms queued after the wake-up.
    runs = merge_samples(_two_blocked("gil"))
    assert [(r.state, r.queued_ns) for r in runs] == [("gil", 200_000), ("running", 0),
                                                      ("gil", 0)]
    # Ran, then queued in drop_gil on the way back into take_gil (0.3 ms), then blocked.
    back = [(0, "running", 0, 0, 1), (2 * MS, "gil", MS, 300_000, 2)]
    runs = merge_samples(back)
    assert [(r.state, r.dur, r.queued_ns) for r in runs] == [
        ("running", MS, 0), ("gil", MS, 300_000)]
    # Queued after a lock wait: waiting for CPU, and no GIL run carries queued time.
    runs = merge_samples(_two_blocked("lock"))
    assert all(r.queued_ns == 0 for r in runs)


def test_queued_on_the_way_back_into_take_gil_is_gil_wait() -> None:
    # Ran Python (on-CPU total settles at 3 ms), dropped the GIL, was queued in drop_gil
    # (woken by the next holder), then blocked in take_gil with 10 us more on a CPU.
    samples = [
        (0, "running", 0, 0, 1),
        (2 * MS, "running", 3 * MS, 0, 1),
        (4 * MS, "running", 3 * MS, 0, 1),
        (6 * MS, "gil", 3 * MS + 10_000, 2 * MS, 2),
    ]
    totals = state_totals(merge_samples(samples))
    assert totals["runqueue"] == 0 and totals["gil"] >= 3 * MS
    # The same before a lock wait stays waiting for CPU.
    lock = [*samples[:3], (6 * MS, "lock", 3 * MS + 10_000, 2 * MS, 2)]
    assert state_totals(merge_samples(lock))["gil"] == 0


def test_preempted_at_a_syscall_exit_is_queued_gil_wait() -> None:
    # On a CPU running Python until ~1 ms, then preempted as it returned from the futex
    # wake of drop_gil (the kernel stack says so at 2 and 4 ms), back on a CPU at 5 ms.
    samples = [
        (0, "running", 0, 0, 1, False),
        (2 * MS, "running", MS, 0, 1, True),
        (4 * MS, "running", MS, 0, 1, True),
        (6 * MS, "running", 2 * MS, 4 * MS, 2, False),
        (8 * MS, "running", 4 * MS, 4 * MS, 2, False),
    ]
    merged = merge_with_states(samples)
    assert merged.states[:3] == ["running", "gil:queued", "gil:queued"]
    _tiles(merged.runs, 0, 8 * MS)
    (gil,) = [r for r in merged.runs if r.state == "gil"]
    # All of it queued for a CPU: the thread was runnable, not blocked.
    assert gil.queued_ns == gil.dur and gil.dur >= 3 * MS
    assert not [r for r in merged.runs if r.state == "runqueue" and r.ts < 5 * MS]
    # Without the kernel stack the same samples are waiting for CPU, as before.
    plain = [s[:5] for s in samples]
    totals = state_totals(merge_samples(plain))
    assert totals["gil"] == 0 and totals["runqueue"] >= 2 * MS
    # The flag on a blocked sample changes nothing (a race with the syscall read).
    blocked = [(0, "sleep", 0, 0, 1, True), (2 * MS, "sleep", 0, 0, 1, False)]
    assert merge_with_states(blocked).states == ["sleep", "sleep"]


def test_a_burst_between_blocked_samples_gets_the_exact_blocked_total() -> None:
    # Woken from take_gil at 1 ms onto an idle CPU, ran Python until it blocked in
    # take_gil again at 6 ms. Scheduler ticks at 3 and 7 ms: the on-CPU total reads 0
    # at 2 ms (no tick since it woke) and 2 ms at 4 ms; it settles to 5 ms at the block.
    samples = [
        (0, "gil", 0, 0, 1),
        (2 * MS, "running", 0, 0, 2),
        (4 * MS, "running", 2 * MS, 0, 2),
        (13 * MS // 2, "gil", 5 * MS, 0, 2),
    ]
    totals = state_totals(merge_samples(samples))
    # Interval by interval the stale totals gave 2 ms of GIL wait; the burst's ends are
    # settled, so 6.5 - 5 = 1.5 ms exactly.
    assert totals["gil"] == 3 * MS // 2 and totals["running"] == 5 * MS
    # Without schedstat corrections, the plain midpoint splits: 1 + 1.25 ms.
    plain = state_totals(merge_samples(samples, correct=False))
    assert plain["gil"] == 9 * MS // 4
    # A burst that ends queued (preempted inside the GIL functions) is not settled there.
    queued = [*samples[:3], (13 * MS // 2, "running", 5 * MS, 0, 2, True)]
    assert state_totals(merge_samples(queued))["gil"] == 2 * MS


def test_correction_between_different_blocked_states() -> None:
    runs = merge_samples([(0, "sleep", 0, 0), (2 * MS, "lock", 1 * MS, 0)])
    assert [(r.state, r.dur) for r in runs] == [
        ("sleep", MS // 2),
        ("running", MS),
        ("lock", MS // 2),
    ]


state_st = st.sampled_from(list(STATE_KEYS))


@given(
    st.lists(
        st.tuples(st.integers(1, 5 * MS), state_st, st.integers(0, 3 * MS), st.integers(0, 3 * MS),
                  st.booleans()),
        min_size=2,
        max_size=60,
    )
)
def test_runs_tile_the_sampled_lifetime(steps: list[tuple[int, str, int, int, bool]]) -> None:
    ts = on = rq = 0
    samples = []
    for gap, state, d_on, d_rq, exiting in steps:
        ts, on, rq = ts + gap, on + d_on, rq + d_rq
        samples.append((ts, state, on, rq, -1, exiting))
    runs = merge_samples(samples)
    _tiles(runs, samples[0][0], samples[-1][0])
    assert sum(state_totals(runs).values()) == samples[-1][0] - samples[0][0]


# -- syscall classification ------------------------------------------------------------
X86 = table_for("x86_64")
ARM = table_for("aarch64")
RNG = (0x7F0000001000, 0x7F0000002000)


def _line(nr: int, *args: int) -> bytes:
    full = list(args) + [0] * (6 - len(args))
    return (f"{nr} " + " ".join(hex(a) for a in full) + " 0x7ffd1234 0x7f00aa\n").encode()


@pytest.mark.parametrize(
    ("line", "state"),
    [
        (b"running\n", "running"),
        (_line(202, RNG[0] + 0x40, 0x189), "gil"),
        (_line(202, 0x55550000, 0x80), "lock"),
        (_line(230, 1, 0, 0x7FFD0000), "sleep"),
        (_line(35, 0x7FFD0000), "sleep"),
        (_line(23, 0, 0, 0, 0, 0x7FFD0000), "sleep"),  # select(0, ...): 3.10 time.sleep
        (_line(23, 5, 0x7FFD0000), "io"),
        (_line(270, 0, 0, 0, 0, 0x7FFD0000), "sleep"),
        (_line(7, 0x7FFD0000, 0, 100), "sleep"),  # poll(fds, 0, t)
        (_line(7, 0x7FFD0000, 2, 100), "io"),
        (_line(271, 0x7FFD0000, 1, 0), "io"),
        (_line(0, 3, 0x7FFD0000, 4096), "io"),
        (_line(232, 4, 0x7FFD0000, 16, 0xFFFFFFFF), "io"),
        (_line(61, 1234, 0, 0, 0), "child"),
        (_line(247, 1, 1234), "child"),
        (_line(9, 0, 4096), "other"),
        (b"-1 0x7ffd1234 0x7f00aa\n", "other"),
        (b"garbage", "other"),
        (b"", "other"),
    ],
)
def test_classify_x86_64(line: bytes, state: str) -> None:
    assert X86 is not None
    assert classify(line, X86, RNG) == state


def test_classify_aarch64_and_fallbacks() -> None:
    assert ARM is not None and X86 is not None
    assert classify(_line(98, RNG[0]), ARM, RNG) == "gil"
    assert classify(_line(115, 1), ARM, RNG) == "sleep"
    assert classify(_line(73, 0x7FFD0000, 0, 0), ARM, RNG) == "sleep"  # ppoll, no fds
    assert classify(_line(72, 0, 0, 0, 0, 0x7FFD0000), ARM, RNG) == "sleep"  # pselect6
    assert classify(_line(63, 3), ARM, RNG) == "io"
    assert classify(_line(260, 99), ARM, RNG) == "child"
    assert classify(_line(202, 3), ARM, RNG) == "io"  # accept on arm64
    # No _PyRuntime range: a Python's futex is "GIL or untraced wait" -> other.
    assert classify(_line(202, RNG[0]), X86, None, python=True) == "other"
    assert classify(_line(202, RNG[0]), X86, None, python=False) == "lock"
    assert classify(_line(202, RNG[0]), X86, RNG, gil_disabled=True) == "lock"
    assert table_for("arm64") is ARM and table_for("amd64") is X86
    assert table_for("riscv64") is None


# -- /proc parsing ---------------------------------------------------------------------
def test_parse_schedstat() -> None:
    assert parse_schedstat(b"123456 7890 42\n") == (123456, 7890, 42)
    # No scheduler statistics in this kernel: unknown, so no correction and no relabel.
    assert parse_schedstat(b"0 0 0\n") == UNKNOWN_SCHEDSTAT
    assert parse_schedstat(b"12 34\n") == (12, 34, -1)  # no slice count: that tell is off
    for bad in (b"", b"12\n", b"x y z\n"):
        with pytest.raises((ValueError, IndexError)):
            parse_schedstat(bad)


def test_parse_stat_with_odd_comm() -> None:
    fields = ["S", "42"] + ["0"] * 9 + ["150", "50"] + ["0"] * 4 + ["7", "0", "999", "0", "300"]
    fields += ["0", "4194304", "0", "140000000"] + ["0"] * 20
    parsed = parse_stat(b"1234 (we(ird) ) comm) " + " ".join(fields).encode())
    assert parsed is not None
    assert (parsed.state, parsed.ppid, parsed.cpu_ticks, parsed.num_threads) == ("S", 42, 200, 7)
    assert (parsed.starttime, parsed.rss_pages) == (999, 300)
    assert parsed.exec_key == (4194304, 140000000)
    assert parse_stat(b"garbage") is None
    own = parse_stat(Path("/proc/self/stat").read_bytes()) if sys.platform == "linux" else None
    assert own is None or own.ppid == os.getppid()


# -- ELF reader --------------------------------------------------------------------------
def test_load_bias() -> None:
    sym = ElfSymbol(3, 0x5000A0, 64, ((0, 0x1000, 0), (0x4FF000, 0x3000, 0x4FE000)))
    maps = [
        Mapping(0x7F0000000000, 0x7F0000001000, 0, 1, "/x.so"),
        Mapping(0x7F00004FF000, 0x7F0000502000, 0x4FE000, 1, "/x.so"),
    ]
    assert load_bias(sym, maps) == 0x7F0000000000
    assert load_bias(ElfSymbol(2, 0x400000, 8, ()), maps) == 0


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="needs /proc")
def test_pyruntime_of_this_interpreter() -> None:
    rng, python, detail = find_symbol_range(os.getpid())
    assert python and rng is not None, detail
    addr = ctypes.addressof(ctypes.c_char.in_dll(ctypes.pythonapi, "_PyRuntime"))
    assert rng[0] == addr and rng[1] > addr
    libdir = sysconfig.get_config_var("LIBDIR")
    ldlib = sysconfig.get_config_var("LDLIBRARY")
    target = Path(libdir, ldlib) if ldlib and ".so" in ldlib else Path(sys.executable)
    assert read_symbol(str(target.resolve()), "_PyRuntime") is not None


_REPORT = (
    "import ctypes, json, sys, sysconfig; print(json.dumps({'addr': ctypes.addressof("
    "ctypes.c_char.in_dll(ctypes.pythonapi, '_PyRuntime')), 'shared': "
    "sysconfig.get_config_var('Py_ENABLE_SHARED')})); sys.stdout.flush(); sys.stdin.read()"
)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="needs /proc")
@pytest.mark.parametrize(
    "python", INTERPRETERS, ids=version_id
)
def test_pyruntime_in_other_interpreters(python: Path) -> None:
    if not python.exists():
        pytest.skip(f"{python} not installed")
    child = subprocess.Popen(
        [str(python), "-c", _REPORT], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert child.stdout is not None
        info = json.loads(child.stdout.readline())
        rng, is_python, detail = find_symbol_range(child.pid)
    finally:
        child.communicate("")
    assert is_python and rng is not None, detail
    assert rng[0] == info["addr"], (detail, info)
