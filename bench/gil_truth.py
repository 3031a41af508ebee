"""Ground truth for GIL waits: perf uprobes on take_gil/drop_gil (entry and return).

Used by bench/gil_accuracy.py. Root only (perf probe writes uprobe_events).

- `interpreter_info(python)`: the binary that holds take_gil/drop_gil for one
  interpreter (libpython when Py_ENABLE_SHARED, else the executable), checked
  with `perf probe -x BINARY --funcs`.
- `Probes`: adds the four uprobes under a private group (ctgil_310, ...) and
  removes them again (also at interpreter exit and on SIGINT/SIGTERM).
- `perf_record_cmd`: `perf record -a -k CLOCK_MONOTONIC` of the probes plus
  sched_switch / sched_wakeup, wrapped around a command.
- `parse_perf_script`: per-tid intervals spent inside take_gil / drop_gil, and
  per-tid scheduler segments (on CPU, runnable, blocked) from the same file.

All timestamps are CLOCK_MONOTONIC ns, the clock concurtrace uses.
"""

from __future__ import annotations

import atexit
import json
import os
import re
import shutil
import signal
import subprocess
from collections import defaultdict
from dataclasses import dataclass, field

TRACEFS = "/sys/kernel/tracing"
SCHED_EVENTS = ("sched:sched_switch", "sched:sched_wakeup", "sched:sched_wakeup_new")

Interval = tuple[int, int]  # [start_ns, end_ns)
Segment = tuple[int, int, str]  # [start_ns, end_ns) with a label


def ensure_tracefs() -> str:
    """perf probe needs tracefs; mount it when the VM did not (idempotent)."""
    if os.path.exists(f"{TRACEFS}/uprobe_events"):
        return "tracefs already mounted"
    subprocess.run(["mount", "-t", "tracefs", "nodev", TRACEFS], check=True)
    return f"mounted tracefs on {TRACEFS}"


@dataclass
class InterpreterInfo:
    version: str  # "3.11.7"
    python: str  # the venv python used to run concurtrace
    binary: str  # ELF file holding take_gil (libpython or the executable)
    shared: bool
    funcs_ok: bool
    detail: str = ""


_PROBE_INFO = r"""
import json, os, sys, sysconfig
shared = bool(sysconfig.get_config_var("Py_ENABLE_SHARED"))
lib = os.path.join(sysconfig.get_config_var("LIBDIR") or "", sysconfig.get_config_var("INSTSONAME") or "")
maps = open("/proc/self/maps").read().split("\n")
libs = sorted({l.split()[-1] for l in maps if "libpython" in l and l.split()[-1].startswith("/")})
print(json.dumps({"version": "%d.%d.%d" % sys.version_info[:3], "shared": shared,
                  "mapped_libs": libs, "lib": lib, "exe": os.path.realpath(sys.executable),
                  "gil": getattr(sys, "_is_gil_enabled", lambda: True)()}))
"""


def interpreter_info(python: str) -> InterpreterInfo:
    out = subprocess.run([python, "-c", _PROBE_INFO], capture_output=True, text=True, check=True)
    info = json.loads(out.stdout)
    binary = info["mapped_libs"][0] if info["mapped_libs"] else info["exe"]
    funcs = subprocess.run(["perf", "probe", "-x", binary, "--funcs"], capture_output=True,
                           text=True)
    names = set(funcs.stdout.split())
    ok = {"take_gil", "drop_gil"} <= names
    detail = "" if ok else f"take_gil/drop_gil not in the symbols of {binary}"
    if not info["gil"]:
        ok, detail = False, "free-threaded build (GIL disabled)"
    return InterpreterInfo(info["version"], python, binary, bool(info["mapped_libs"]), ok, detail)


class Probes:
    """take/take__return/drop/drop__return uprobes on one binary, group ctgil_XYZ."""

    def __init__(self, info: InterpreterInfo) -> None:
        major, minor = info.version.split(".")[:2]
        self.tag = f"{major}{minor}"
        self.group = f"ctgil_{self.tag}"  # event names must be unique across groups too
        self.binary = info.binary
        self.added = False

    @property
    def events(self) -> list[str]:
        g, t = self.group, self.tag
        return [f"{g}:take_{t}", f"{g}:take_{t}__return", f"{g}:drop_{t}", f"{g}:drop_{t}__return"]

    def add(self) -> None:
        self.remove(quiet=True)  # leftovers of an interrupted run
        g, t = self.group, self.tag
        cmd = ["perf", "probe", "-q", "-x", self.binary,
               "-a", f"{g}:take_{t}=take_gil", "-a", f"{g}:take_{t}=take_gil%return",
               "-a", f"{g}:drop_{t}=drop_gil", "-a", f"{g}:drop_{t}=drop_gil%return"]
        res = subprocess.run(cmd, capture_output=True, text=True)
        if res.returncode != 0:
            raise RuntimeError(f"perf probe failed: {(res.stderr or res.stdout).strip()}")
        self.added = True
        _LIVE.add(self)
        listed = subprocess.run(["perf", "probe", "-l", f"{self.group}:*"], capture_output=True,
                                text=True).stdout
        missing = [e for e in self.events if e not in listed]
        if missing:
            raise RuntimeError(f"perf probe did not create {missing}; it listed:\n{listed}")

    def remove(self, quiet: bool = False) -> None:
        subprocess.run(["perf", "probe", "-q", "-d", f"{self.group}:*"], capture_output=True)
        self.added = False
        _LIVE.discard(self)


_LIVE: set[Probes] = set()


def _cleanup(*_args: object) -> None:
    for probes in list(_LIVE):
        probes.remove()


def install_cleanup() -> None:
    atexit.register(_cleanup)
    for sig in (signal.SIGINT, signal.SIGTERM):
        previous = signal.getsignal(sig)

        def handler(signum: int, frame: object, previous: object = previous) -> None:
            _cleanup()
            if callable(previous):
                previous(signum, frame)
            raise SystemExit(128 + signum)

        signal.signal(sig, handler)


def perf_record_cmd(out: str, probes: Probes, cmd: list[str], sched: bool = True) -> list[str]:
    events = list(probes.events) + (list(SCHED_EVENTS) if sched else [])
    argv = ["perf", "record", "-q", "-a", "-k", "CLOCK_MONOTONIC", "-B", "-N", "-m", "2048",
            "-o", out]
    for ev in events:
        argv += ["-e", ev]
    return argv + ["--"] + cmd


@dataclass
class PerfTruth:
    """Per tid: merged intervals inside take_gil and inside drop_gil, and scheduler
    segments labelled oncpu / runnable / blocked."""

    take: dict[int, list[Interval]] = field(default_factory=dict)
    drop: dict[int, list[Interval]] = field(default_factory=dict)
    sched: dict[int, list[Segment]] = field(default_factory=dict)
    unmatched_returns: int = 0
    open_at_end: int = 0
    lost: int = 0
    events: int = 0
    first_ns: int = 0
    last_ns: int = 0


_LINE = re.compile(r"^\s*(\d+)\s+(\d+)\.(\d+):\s+(\S+):(?:\s+(.*))?$")
_KV = re.compile(r"(\w+)=(\S+)")


def _ts(sec: str, frac: str) -> int:
    return int(sec) * 1_000_000_000 + int(frac.ljust(9, "0")[:9])


def parse_perf_script(data_file: str, tids: set[int] | None, group: str) -> PerfTruth:
    """Read `perf script` of one recording; keep only `tids` (None: all)."""
    fields = "tid,time,event,trace"
    proc = subprocess.run(["perf", "script", "-i", data_file, "-F", fields, "--ns"],
                          capture_output=True, text=True)
    truth = PerfTruth()
    stack: dict[int, list[tuple[str, int]]] = defaultdict(list)
    raw: dict[str, dict[int, list[Interval]]] = {"take": defaultdict(list),
                                                  "drop": defaultdict(list)}
    # scheduler: per tid, list of (ts, state) transitions
    trans: dict[int, list[tuple[int, str]]] = defaultdict(list)
    want = (lambda t: True) if tids is None else tids.__contains__
    gprefix = group + ":"
    first = last = 0
    for line in proc.stdout.splitlines():
        m = _LINE.match(line)
        if m is None:
            continue
        tid, ts, event, rest = int(m[1]), _ts(m[2], m[3]), m[4], m[5] or ""
        truth.events += 1
        first = first or ts
        last = ts
        if event.startswith(gprefix):
            if not want(tid):
                continue
            name = event[len(gprefix):].split("_")[0]  # take_310[__return] -> take
            if not event.endswith("__return"):
                stack[tid].append((name, ts))
            else:
                kind = name
                st = stack[tid]
                # pop to the matching entry (take_gil may call drop_gil)
                while st and st[-1][0] != kind:
                    st.pop()
                    truth.unmatched_returns += 1
                if not st:
                    truth.unmatched_returns += 1
                    continue
                _, t0 = st.pop()
                raw[kind][tid].append((t0, ts))
        elif event == "sched:sched_switch":
            kv = dict(_KV.findall(rest.replace(" ==> ", " ")))
            prev, nxt = int(kv.get("prev_pid", -1)), int(kv.get("next_pid", -1))
            if want(prev):
                st_letter = kv.get("prev_state", "S")
                trans[prev].append((ts, "runnable" if st_letter.startswith("R") else "blocked"))
            if want(nxt):
                trans[nxt].append((ts, "oncpu"))
        elif event in ("sched:sched_wakeup", "sched:sched_wakeup_new"):
            kv = dict(_KV.findall(rest))
            pid = int(kv.get("pid", -1))
            if want(pid):
                trans[pid].append((ts, "wakeup"))
    truth.first_ns, truth.last_ns = first, last
    for tid, st in stack.items():
        for kind, t0 in st:  # still inside at the end: close at the last event
            raw[kind][tid].append((t0, last))
            truth.open_at_end += 1
    truth.take = {tid: merge(iv) for tid, iv in raw["take"].items()}
    truth.drop = {tid: merge(iv) for tid, iv in raw["drop"].items()}
    for tid, tr in trans.items():
        tr.sort(key=lambda x: x[0])
        segs: list[Segment] = []
        state, since = None, 0
        for ts, what in tr:
            if what == "wakeup":
                if state != "blocked":
                    continue  # already runnable/on CPU: a wakeup changes nothing
                what = "runnable"
            if state is not None and ts > since:
                segs.append((since, ts, state))
            state, since = what, ts
        if state is not None and last > since:
            segs.append((since, last, state))
        truth.sched[tid] = segs
    truth.lost = _lost_events(data_file)
    return truth


def _lost_events(data_file: str) -> int:
    res = subprocess.run(["perf", "report", "-i", data_file, "--stats"], capture_output=True,
                         text=True)
    lost = 0
    for line in res.stdout.splitlines():
        parts = line.split()
        if parts and parts[0] in ("LOST", "LOST_SAMPLES") and parts[-1].isdigit():
            lost += int(parts[-1])
    return lost


# -- interval arithmetic ---------------------------------------------------------


def merge(intervals: list[Interval]) -> list[Interval]:
    out: list[Interval] = []
    for a, b in sorted(intervals):
        if b <= a:
            continue
        if out and a <= out[-1][1]:
            if b > out[-1][1]:
                out[-1] = (out[-1][0], b)
        else:
            out.append((a, b))
    return out


def clip(intervals: list[Interval], lo: int, hi: int) -> list[Interval]:
    return [(max(a, lo), min(b, hi)) for a, b in intervals if b > lo and a < hi]


def total(intervals: list[Interval]) -> int:
    return sum(b - a for a, b in intervals)


def overlap_by_label(intervals: list[Interval], segments: list[Segment]) -> dict[str, int]:
    """ns of `intervals` (merged, sorted) covered by each label of `segments`
    (sorted, non-overlapping); the uncovered rest under "(none)"."""
    out: dict[str, int] = defaultdict(int)
    j = 0
    for a, b in intervals:
        covered = 0
        while j < len(segments) and segments[j][1] <= a:
            j += 1
        k = j
        while k < len(segments) and segments[k][0] < b:
            s0, s1, label = segments[k]
            ov = min(b, s1) - max(a, s0)
            if ov > 0:
                out[label] += ov
                covered += ov
            k += 1
        out["(none)"] += (b - a) - covered
    return dict(out)


def perf_available() -> str | None:
    if shutil.which("perf") is None:
        return "perf is not installed"
    if os.geteuid() != 0:
        return "perf probe needs root"
    return None
