"""Pure merge: lifecycle records + function traces + outside observations -> Timeline.

Each source may be missing for any process (killed before its tracer started,
not Python, died mid-save): every fact falls back to the next-best witness.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, NamedTuple

from concurtrace.model.exits import exit_facts
from concurtrace.model.naming import infrastructure_role, process_name
from concurtrace.model.records import Finalize, Hello, ProcessStart, RawRecord
from concurtrace.model.sampled import SeenProcess
from concurtrace.model.sentences import RUN_STOPS
from concurtrace.model.sources import Observed, RecordIndex
from concurtrace.model.timeline import Process, StateRun, Thread, Timeline
from concurtrace.model.traces import MergedCalls, TraceEvents, apply_merged, merge_calls

# When several records started one child, the outermost call names it: since 3.13,
# subprocess.Popen itself calls os.posix_spawn (close_fds=True included), so a child of
# subprocess.run also has a posix_spawn record, written first.
METHOD_RANK = {"fork": 4, "spawn": 4, "forkserver": 4, "subprocess": 3, "posix_spawn": 2,
               "posix_spawnp": 2, "os.fork": 1}
EXEC_METHODS = ("subprocess", "posix_spawn", "posix_spawnp")  # fork (or vfork), then exec


class CallsToMerge(NamedTuple):
    """What the merge of one process's dump needs from its records."""

    stop_ns: int | None  # its finalize record's time
    fork_tid: int | None  # the tid VizTracer kept for a forked child's main thread


# pid -> CallsToMerge, in the build's order -> every pid's merged calls, or None (then the
# build merges each dump itself, one after the other)
CallMerger = Callable[[dict[int, CallsToMerge]], Mapping[int, MergedCalls] | None]


def build_timeline(records: list[RawRecord], traces: Mapping[int, Iterable[TraceEvents]],
                   observed: Observed, root_pid: int, started_ns: int, ended_ns: int,
                   merger: CallMerger | None = None) -> Timeline:
    """merger: merges the dumps at once (a process pool) before they are applied."""
    index = RecordIndex(records)
    pids = set(index.last_ts) | set(index.about) | set(observed.processes) | set(observed.reaped)
    timeline = Timeline(root_pid=root_pid, started_ns=started_ns, ended_ns=ended_ns)
    for pid in sorted(pids):
        timeline.processes[pid] = _process(pid, index, observed, root_pid)
    root = timeline.processes.get(root_pid)
    if root is not None and 0 < started_ns < (root.started_ns or started_ns + 1):
        # The run's start is the root's spawn (runner/launch.py), which its first sample
        # and hello follow: the sampler starts while its interpreter does.
        root.started_ns = started_ns
    for proc in timeline.processes.values():
        _threads(proc, index, observed)
    # Every thread a record or a sample places in some process (a pid is its main tid).
    placed = {tid for proc in timeline.processes.values() for tid in proc.threads}
    jobs = {pid: _to_merge(pid, index) for pid in timeline.processes if pid in traces}
    merged = merger(jobs) if merger is not None and jobs else None
    for proc in timeline.processes.values():
        if proc.pid in traces:
            hello = index.first(proc.pid, "hello")
            known = set(proc.threads)
            job = jobs[proc.pid]
            calls = merged[proc.pid] if merged is not None else \
                merge_calls(proc.pid, traces[proc.pid], job.stop_ns, job.fork_tid)
            apply_merged(proc, calls)
            del calls
            if hello is not None and hello.get("origin") == "fork":
                _drop_phantoms(proc, known, placed - known)
        _close_threads(proc)
    for proc in timeline.processes.values():
        parent = timeline.processes.get(proc.fork_of) if proc.fork_of else None
        if parent is not None:
            proc.name = f"{parent.name} (fork)"
        starter = timeline.processes.get(proc.ppid) if proc.ppid is not None else None
        if starter is None or not starter.traced:
            if proc.pid != root_pid:  # an untraced parent records no wait: whether it did
                proc.joined = None  # is unknown
        elif not proc.joined and starter.untraced_since() is not None:
            proc.joined = None  # its parent became a program we do not trace (sh): any wait
            # of its, for this child too, went unrecorded
    hello = index.first(root_pid, "hello")
    timeline.python = str(hello.get("python", "")) if hello else ""
    timeline.gil = str(hello.get("gil", "enabled")) if hello else "enabled"
    return timeline


def _to_merge(pid: int, index: RecordIndex) -> CallsToMerge:
    hello, finalize = index.first(pid, "hello"), index.last(pid, "finalize")
    fork_tid = hello.get("fork_tid") if hello else None
    return CallsToMerge(int(finalize["ts"]) if finalize is not None else None,
                        fork_tid if isinstance(fork_tid, int) else None)  # tids are ints


def _parent_argv(index: RecordIndex, start: ProcessStart) -> list[str] | None:
    parent_hello = index.last(int(start["pid"]), "hello")
    return list(parent_hello["argv"]) if parent_hello else None


def _process(pid: int, index: RecordIndex, observed: Observed, root_pid: int) -> Process:
    # After fork + exec one pid says hello twice: the exec'd program is what it became.
    hello, role = index.last(pid, "hello"), index.first(pid, "role")
    seen = observed.processes.get(pid)
    starts = [r for r in index.about.get(pid, []) if r["ev"] == "process_start"]
    starts.sort(key=lambda r: -METHOD_RANK.get(str(r.get("method")), 0))
    start = starts[0] if starts else None
    argv: list[str] = list(hello["argv"]) if hello else (list(seen.cmdline) if seen else [])
    # The sampler read it between the fork and the exec: its parent's image, not the program
    pre_exec = bool(not hello and seen and start and start.get("cmdline")
                    and start.get("method") in EXEC_METHODS
                    and argv == _parent_argv(index, start))
    if pre_exec:
        argv = []
    if not argv and start and start.get("cmdline"):
        argv = list(start["cmdline"])
    if not argv and start and start.get("method") in ("fork", "os.fork"):
        parent_hello = index.last(int(start["pid"]), "hello")  # a fork runs its parent's argv
        argv = list(parent_hello["argv"]) if parent_hello else []
    proc = Process(pid=pid, name="", cmdline=argv)
    proc.os_ppid = _os_parent(hello, seen)
    proc.ppid = None if pid == root_pid else (int(start["pid"]) if start else proc.os_ppid)
    proc.traced = bool(hello and hello.get("traced"))
    proc.daemon = _first_not_none(role and role.get("daemon"), start and start.get("daemon"))
    proc.start_method = _first_not_none(start and start.get("method"), role and role.get("method"),
                                        "fork" if hello and hello["origin"] == "fork" else None)
    mp_name = _first_not_none(role and role.get("name"), start and start.get("name"))
    fork_parent = None
    if hello and hello["origin"] == "fork" and not mp_name and proc.ppid is not None:
        fork_parent = proc.ppid
    proc.name = process_name(pid == root_pid, mp_name, argv,
                             seen.name if seen and not pre_exec else None)
    proc.role = infrastructure_role(proc.name, mp_name, role.get("target") if role else None)
    proc.fork_of = fork_parent
    if proc.start_method in ("fork", "spawn", "forkserver"):
        proc.ran_target = role is not None
    times = [t for t in (start and start["ts"], hello and hello["ts"], seen and seen.first_ns) if t]
    proc.started_ns = int(min(times)) if times else None
    exit_facts(proc, index, observed)
    hellos = [int(r["ts"]) for r in index.own.get(pid, []) if r["ev"] == "hello"]
    proc.execs = [{"ts_ns": int(r["ts"]), "argv": list(r["argv"]),
                   "traced": any(ts > int(r["ts"]) for ts in hellos)}
                  for r in index.own.get(pid, []) if r["ev"] == "exec"]
    finalize, saved = index.last(pid, "finalize"), index.last(pid, "trace_saved")
    if finalize is not None and finalize["reason"] in ("exit", "os._exit"):
        proc.exit_began_ns = int(finalize["ts"])  # the program was done: only our save was left
        proc.trace_saved_ns = int(saved["ts"]) if saved is not None else None
    last_hello = index.last(pid, "hello")
    proc.function_trace = last_hello is None or bool(last_hello.get("functions", True))
    return proc


def _os_parent(hello: Hello | None, seen: SeenProcess | None) -> int | None:
    """Its OS parent when first known. The hello's getppid() names the subreaper
    (concurtrace's runner) when the parent had died before the child's interpreter came up
    (multiprocessing's resource tracker, started just before a short program's end): the
    sampler's earlier sight of it, with the parent still there, is then the truth."""
    if seen is not None and (hello is None or seen.first_ns < int(hello["ts"])):
        return seen.ppid
    return int(hello["ppid"]) if hello else None


def _first_not_none(*values: Any) -> Any:
    return next((v for v in values if v is not None), None)


def _drop_phantoms(proc: Process, known: set[int], foreign: set[int]) -> None:
    """A fork child has only the thread that forked, but VizTracer's trace of it can name
    the parent's other threads (it keeps their state across fork). A thread of the trace
    that no record or sample of this process confirms is dropped when it is another
    process's thread or its calls began before this process existed."""
    for tid in [t for t in proc.threads if t not in known]:
        thread = proc.threads[tid]
        early = bool(thread.slices) and proc.started_ns is not None \
            and thread.slices[0].ts < proc.started_ns
        if tid in foreign or early:
            del proc.threads[tid]


def _threads(proc: Process, index: RecordIndex, observed: Observed) -> None:
    hello = index.last(proc.pid, "hello")
    # The thread that forked is the child's main thread and keeps its name ("forker-0").
    name = str(hello.get("thread_name") or "MainThread") if hello else "MainThread"
    # Not a Python we traced (uname, sh): its main thread's own name, which /proc/P/comm is;
    # the process's is read again after an exec, its thread's may predate it ("python").
    seen_proc, seen_main = observed.processes.get(proc.pid), observed.threads.get((proc.pid,
                                                                                   proc.pid))
    if hello is None:
        name = (seen_proc.name if seen_proc is not None else "") \
            or (seen_main.comm if seen_main is not None else "") or name
    main = Thread(pid=proc.pid, tid=proc.pid, name=name, daemon=False, is_main=True,
                  started_ns=proc.started_ns)
    proc.threads[proc.pid] = main
    for (pid, tid), seen in observed.threads.items():
        if pid == proc.pid and tid not in proc.threads:
            proc.threads[tid] = Thread(pid=pid, tid=tid, name=seen.comm, started_ns=seen.first_ns,
                                       ended_ns=seen.last_ns)
    finalize = index.last(proc.pid, "finalize")
    # an image that exec'd finalized too: each abandoned thread belongs to the one at its ts
    finalizes = {int(r["ts"]): r for r in index.own.get(proc.pid, []) if r["ev"] == "finalize"}
    for record in [r for r in index.own.get(proc.pid, [])
                   if r["ev"] in ("thread_start", "thread_exit", "thread_abandoned")]:
        native = record.get("tid")
        if native is None:
            continue
        tid = int(native)
        thread = proc.threads.setdefault(tid, Thread(pid=proc.pid, tid=tid, name=""))
        if record.get("name"):
            thread.name = str(record.get("name"))
        if record["ev"] == "thread_start":
            thread.started_ns, thread.daemon = int(record["start_ts"]), bool(record["daemon"])
        elif record["ev"] == "thread_exit":
            thread.ended_ns = int(record["ts"])
            thread.exc_type = record.get("exc_type")
            thread.end_reason = "exception" if thread.exc_type else "return"
        else:
            thread.ended_ns = int(record["ts"])
            thread.stack = list(record.get("stack") or [])
            thread.daemon = bool(record.get("daemon", True))
            thread.end_reason = _cut_reason(proc, thread,
                                            finalizes.get(int(record["ts"]), finalize))
            thread.abandoned = thread.end_reason == "abandoned"
    _cut_unrecorded(proc, index)
    fatal = index.last(proc.pid, "signal")
    if fatal is not None and fatal.get("stack") and fatal.get("tid") in (None, proc.pid):
        main.stack = list(fatal.get("stack") or [])  # where the signal found the main thread
        main.end_reason = _cut_reason(proc, main, finalize)
    for key, runs in observed.states.items():
        if key[0] == proc.pid and key[1] in proc.threads:
            proc.threads[key[1]].states = runs


def _cut_unrecorded(proc: Process, index: RecordIndex) -> None:
    """A thread the hooks saw start, with no record of its end, in a process that died with
    no Python exit (SIGKILL, a signal our handler could not see, an exit in C code): it was
    alive until its process's end, and cut there. Without this it read "ended (untraced)" at
    the sampler's last sight of it, as a thread of C code."""
    if proc.ended_ns is None or index.last(proc.pid, "finalize") is not None:
        return
    if proc.end_reason == "native_exit":
        how = "native_exit"
    elif proc.signal is not None:
        stop = proc.terminated_by is not None and proc.terminated_by.reason in RUN_STOPS
        how = "stopped" if stop else "killed"
    else:
        return
    ended = {r.get("tid") for r in index.own.get(proc.pid, [])
             if r["ev"] in ("thread_exit", "thread_abandoned")}
    for record in index.own.get(proc.pid, []):
        native = record.get("tid") if record["ev"] == "thread_start" else None
        if not isinstance(native, int):
            continue
        thread = proc.threads.get(native)
        if thread is None or thread.is_main or thread.tid in ended:
            continue
        thread.end_reason = how
        thread.ended_ns = max(thread.ended_ns or 0, proc.ended_ns)


def _cut_reason(proc: Process, thread: Thread, finalize: Finalize | None) -> str:
    """Why a thread still alive at the process's last moment stopped there. Only a daemon
    thread at a normal interpreter exit was abandoned; the others were cut by a stop of the
    run, a fatal signal or os._exit, whatever their daemon flag."""
    how = str(finalize.get("reason")) if finalize else "exit"
    if how == "exec":  # the image ended there, its threads with it, whatever came next
        return "exec"
    if proc.terminated_by is not None and proc.terminated_by.reason in RUN_STOPS:
        return "stopped"
    if how == "signal" or proc.signal is not None:
        return "killed"
    if how == "os._exit":
        return "os._exit"
    return "abandoned" if thread.daemon else "process_exit"


def _close_threads(proc: Process) -> None:
    """Threads with no recorded end ended with their process (or were last seen then)."""
    for thread in proc.threads.values():
        if thread.started_ns is None:
            firsts = [s.ts for s in thread.slices[:1]] + [r.ts for r in thread.states[:1]]
            thread.started_ns = min(firsts) if firsts else proc.started_ns
        if thread.is_main or thread.ended_ns is None:
            thread.ended_ns = proc.ended_ns if thread.is_main or proc.ended_ns else thread.ended_ns
            if thread.end_reason is None:
                thread.end_reason = "process_exit"
        if not thread.name:
            thread.name = f"Thread {thread.tid}"
        if thread.states and thread.started_ns is not None and thread.ended_ns is not None:
            thread.states = clip_runs(thread.states, thread.started_ns, thread.ended_ns)


def clip_runs(runs: list[StateRun], start: int, end: int) -> list[StateRun]:
    """Sampled runs inside the recorded lifetime (the OS thread outlives its thread_exit)."""
    clipped = []
    for run in runs:
        lo, hi = max(run.ts, start), min(run.ts + run.dur, end)
        if hi > lo:
            queued = min(run.queued_ns, hi - lo)
            clipped.append(StateRun(ts=lo, dur=hi - lo, state=run.state, queued_ns=queued))
    return clipped
