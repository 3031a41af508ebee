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
import glob
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
lib = os.path.join(sysconfig.get_config_var("LIBDIR") or "",
                   sysconfig.get_config_var("INSTSONAME") or "")
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
    for inst in list(_LIVE_INSTANCES):
        try:
            with open(f"{inst}/tracing_on", "w") as f:
                f.write("0")
            with open(f"{inst}/events/enable", "w") as f:
                f.write("0")
            os.rmdir(inst)
        except OSError:
            pass
        _LIVE_INSTANCES.discard(inst)
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


_PERF_LINE = re.compile(r"^\s*(\d+)\s+(\d+)\.(\d+):\s+(\S+):(?:\s+(.*))?$")
# ftrace: "  comm-TID  [CPU] FLAGS  SEC.USEC: EVENT: FIELDS" (comm may hold spaces and '-')
_FTRACE_LINE = re.compile(r"^\s*(.*?)-(\d+)\s+\[(\d+)\]\s+\S+\s+(\d+)\.(\d+):\s+(\w+):\s?(.*)$")
_KV = re.compile(r"(\w+)=(\S+)")


def _ts(sec: str, frac: str) -> int:
    return int(sec) * 1_000_000_000 + int(frac.ljust(9, "0")[:9])


class _Builder:
    """Turns a time-ordered event stream into PerfTruth.

    Scheduler state per tid: a switch-out makes it runnable (prev_state R) or
    blocked; a wakeup makes a blocked tid runnable; a switch-in, or any event the
    tid emits itself (a uprobe hit, its own switch-out), makes it on CPU. The last
    rule matters on this kind of VM: most idle->task switches are not traced at all,
    so "on CPU since the first sign of life" stands in for the missing switch-in.
    """

    def __init__(self, tids: set[int] | None) -> None:
        self.want = (lambda t: True) if tids is None else tids.__contains__
        self.truth = PerfTruth()
        self.stack: dict[int, list[tuple[str, int]]] = defaultdict(list)
        self.raw: dict[str, dict[int, list[Interval]]] = {"take": defaultdict(list),
                                                          "drop": defaultdict(list)}
        self.trans: dict[int, list[tuple[int, str]]] = defaultdict(list)
        self.first = self.last = 0

    def tick(self, ts: int) -> None:
        self.truth.events += 1
        self.first = self.first or ts
        self.last = max(self.last, ts)

    def probe(self, tid: int, ts: int, kind: str, is_return: bool) -> None:
        if not self.want(tid):
            return
        self.trans[tid].append((ts, "self"))
        if not is_return:
            self.stack[tid].append((kind, ts))
            return
        st = self.stack[tid]
        while st and st[-1][0] != kind:  # take_gil may call drop_gil
            st.pop()
            self.truth.unmatched_returns += 1
        if not st:
            self.truth.unmatched_returns += 1
            return
        _, t0 = st.pop()
        self.raw[kind][tid].append((t0, ts))

    def switch(self, ts: int, kv: dict[str, str]) -> None:
        prev, nxt = int(kv.get("prev_pid", -1)), int(kv.get("next_pid", -1))
        if self.want(prev):
            st_letter = kv.get("prev_state", "S")
            self.trans[prev].append((ts, "runnable" if st_letter.startswith("R") else "blocked"))
        if self.want(nxt):
            self.trans[nxt].append((ts, "oncpu"))

    def wakeup(self, ts: int, kv: dict[str, str]) -> None:
        pid = int(kv.get("pid", -1))
        if self.want(pid):
            self.trans[pid].append((ts, "wakeup"))

    def finish(self) -> PerfTruth:
        truth, last = self.truth, self.last
        truth.first_ns, truth.last_ns = self.first, last
        for tid, st in self.stack.items():
            for kind, t0 in st:  # still inside at the end: close at the last event
                self.raw[kind][tid].append((t0, last))
                truth.open_at_end += 1
        truth.take = {tid: merge(iv) for tid, iv in self.raw["take"].items()}
        truth.drop = {tid: merge(iv) for tid, iv in self.raw["drop"].items()}
        for tid, tr in self.trans.items():
            tr.sort(key=lambda x: x[0])
            segs: list[Segment] = []
            state, since = None, 0
            for ts, what in tr:
                if what == "wakeup":
                    if state != "blocked":
                        continue  # already runnable/on CPU: a wakeup changes nothing
                    what = "runnable"
                elif what == "self":
                    if state == "oncpu":
                        continue
                    what = "oncpu"
                if state is not None and ts > since:
                    segs.append((since, ts, state))
                state, since = what, ts
            if state is not None and last > since:
                segs.append((since, last, state))
            truth.sched[tid] = _coalesce(segs)
        return truth


def _coalesce(segs: list[Segment]) -> list[Segment]:
    out: list[Segment] = []
    for a, b, s in segs:
        if out and out[-1][2] == s and out[-1][1] == a:
            out[-1] = (out[-1][0], b, s)
        else:
            out.append((a, b, s))
    return out


def parse_perf_script(data_file: str, tids: set[int] | None, group: str) -> PerfTruth:
    """Read `perf script` of one perf recording; keep only `tids` (None: all)."""
    proc = subprocess.run(["perf", "script", "-i", data_file, "-F", "tid,time,event,trace",
                           "--ns"], capture_output=True, text=True)
    b = _Builder(tids)
    gprefix = group + ":"
    for line in proc.stdout.splitlines():
        m = _PERF_LINE.match(line)
        if m is None:
            continue
        tid, ts, event, rest = int(m[1]), _ts(m[2], m[3]), m[4], m[5] or ""
        b.tick(ts)
        if event.startswith(gprefix):
            name = event[len(gprefix):]
            b.probe(tid, ts, name.split("_")[0], name.endswith("__return"))
        elif event == "sched:sched_switch":
            if b.want(tid):
                b.trans[tid].append((ts, "self"))
            b.switch(ts, dict(_KV.findall(rest.replace(" ==> ", " "))))
        elif event in ("sched:sched_wakeup", "sched:sched_wakeup_new"):
            b.wakeup(ts, dict(_KV.findall(rest)))
    truth = b.finish()
    truth.lost = _lost_events(data_file)
    return truth


class FtraceRecorder:
    """Records the probes and the scheduler events in a private tracefs instance
    (trace_clock mono), limited to one process tree with set_event_pid + event-fork.

    Used instead of `perf record -a` by default: on this Firecracker VM perf drops
    most sched_wakeup events raised in idle context, while ftrace keeps them.
    """

    def __init__(self, probes: Probes, buffer_kb: int = 32768) -> None:
        self.probes = probes
        self.dir = f"{TRACEFS}/instances/ctgil-{os.getpid()}"
        os.makedirs(self.dir, exist_ok=True)
        _LIVE_INSTANCES.add(self.dir)
        self._write("tracing_on", "0")
        self._write("trace_clock", "mono")
        self._write("buffer_size_kb", str(buffer_kb))
        self._write("options/overwrite", "0")  # a full buffer drops new events, counted
        self._write("options/event-fork", "1")
        self.events = [f"{probes.group}/{e.split(':')[1]}" for e in probes.events] + [
            "sched/sched_switch", "sched/sched_wakeup", "sched/sched_wakeup_new"]

    def _write(self, name: str, value: str) -> None:
        with open(f"{self.dir}/{name}", "w") as f:
            f.write(value)

    def run(self, cmd: list[str], timeout: float) -> subprocess.CompletedProcess[str]:
        """Run cmd with tracing of its tree; the trace stays in the buffer for read()."""
        self._write("trace", "")
        for ev in self.events:
            self._write(f"events/{ev}/enable", "1")
        # the wrapper puts its own pid in set_event_pid, then execs the command
        wrapper = ["sh", "-c", f'echo $$ > {self.dir}/set_event_pid && exec "$@"', "sh", *cmd]
        self._write("tracing_on", "1")
        try:
            return subprocess.run(wrapper, capture_output=True, text=True, timeout=timeout)
        finally:
            self._write("tracing_on", "0")
            for ev in self.events:
                self._write(f"events/{ev}/enable", "0")

    def read(self, tids: set[int] | None) -> PerfTruth:
        b = _Builder(tids)
        probe_names = {e.split(":")[1]: e for e in self.probes.events}
        with open(f"{self.dir}/trace", errors="replace") as f:
            for line in f:
                if line.startswith("#"):
                    continue
                m = _FTRACE_LINE.match(line)
                if m is None:
                    continue
                tid, ts, event, rest = int(m[2]), _ts(m[4], m[5]), m[6], m[7]
                b.tick(ts)
                if event in probe_names:
                    b.probe(tid, ts, event.split("_")[0], event.endswith("__return"))
                elif event == "sched_switch":
                    if b.want(tid):
                        b.trans[tid].append((ts, "self"))
                    b.switch(ts, dict(_KV.findall(rest.replace(" ==> ", " "))))
                elif event in ("sched_wakeup", "sched_wakeup_new"):
                    b.wakeup(ts, dict(_KV.findall(rest)))
        truth = b.finish()
        truth.lost = self._dropped()
        self._write("trace", "")
        return truth

    def _dropped(self) -> int:
        lost = 0
        for stats in glob.glob(f"{self.dir}/per_cpu/cpu*/stats"):
            with open(stats) as f:
                for line in f:
                    key, _, value = line.partition(":")
                    if key.strip() in ("overrun", "dropped events"):
                        lost += int(value.split()[0])
        return lost

    def close(self) -> None:
        try:
            self._write("set_event_pid", "")
            os.rmdir(self.dir)
        except OSError:
            pass
        _LIVE_INSTANCES.discard(self.dir)


_LIVE_INSTANCES: set[str] = set()


def _lost_events(data_file: str) -> int:
    res = subprocess.run(["perf", "report", "-i", data_file, "--stats"], capture_output=True,
                         text=True)
    lost = 0
    for line in res.stdout.splitlines():  # "LOST events: 12 ( 0.1%)" in the aggregated part
        m = re.match(r"\s*(LOST|LOST_SAMPLES) events:\s+(\d+)", line)
        if m:
            lost += int(m[2])
        if line.strip().endswith("stats:") and "Aggregated" not in line:
            break  # per-event sections repeat the counts
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
