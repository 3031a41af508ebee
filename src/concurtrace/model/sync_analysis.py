"""Per-object wait statistics, the `lock_contention` and `deadlock` findings, and the
summary's additive "sync" key (kept in the trace, so `concurtrace summary` shows it)."""

from __future__ import annotations

from collections import Counter
from typing import Any

from concurtrace.model.deadlock import Deadlock, describe, find_deadlocks
from concurtrace.model.stall import stall_summary
from concurtrace.model.sync import LOCK_KINDS, Hold, LockCounts, Wait
from concurtrace.model.sync_exit import exit_wait_rows
from concurtrace.model.sync_inner import is_inner
from concurtrace.model.sync_mp import FLUSH, PROCESS_JOINS, SERVER_SIDE, waiting_text
from concurtrace.model.sync_mp_analysis import shared_contention
from concurtrace.model.timeline import Finding, Process, Thread, Timeline
from concurtrace.model.units import short_duration as _human
from concurtrace.model.vocabulary import STATES

JOIN_KINDS = ("Thread", *PROCESS_JOINS)  # ended by the joined thread's or process's end
CONTENTION_SHARE = 0.2  # waiters spent at least this share of their lives waiting
CONTENTION_MIN_NS = 50_000_000
TOP_OBJECTS = 25  # in the JSON summary; the terminal shows fewer
NOT_COVERED = ("multiprocessing's own internal pipes", "a ThreadPool's worker threads",
               "asyncio's locks, events and queues (the asyncio section: task awaits)")
CONTENTION_KINDS = (*LOCK_KINDS, "Semaphore", "BoundedSemaphore", "mp.Lock", "mp.RLock",
                    "mp.Semaphore", "mp.BoundedSemaphore", "Manager Lock", "Manager RLock")
# What a holder did is read from the sampler's states, a few ms apart: a shorter hold
# only shows the state around it (11 us holds read "mostly waiting for lock").
SAMPLED_HOLD_NS = 5_000_000


def analyse_sync(timeline: Timeline) -> list[Finding]:
    data = timeline.sync
    if not data.enabled:
        timeline.sync_summary = {"enabled": False}
        return []
    threads = {(p.pid, t.tid): t for p in timeline.processes.values() for t in p.threads.values()}
    names = {key: t.name for key, t in threads.items()}
    processes = {p.pid: p.name for p in timeline.processes.values()}
    findings: list[Finding] = []
    deadlocks: list[dict[str, Any]] = []
    for deadlock in find_deadlocks(data):
        proc = timeline.processes.get(deadlock.pid)
        where = proc.name if proc else f"pid {deadlock.pid}"
        if len(deadlock.processes()) > 1:
            where = ", ".join(processes.get(pid) or f"pid {pid}" for pid in deadlock.processes())
        findings.append(Finding("deadlock", deadlock.pid, deadlock.waits[0].tid,
                                f"Deadlock in {where}: {describe(deadlock, names, processes)}.",
                                _deadlock_advice(deadlock), 5))
        deadlocks.append({"pid": deadlock.pid, "process": where, "cycle": [
            {"tid": w.tid, "thread": names.get((w.pid, w.tid)), "waits_for": w.label,
             "kind": w.kind, "stack": w.stack,
             "held_by": deadlock.waits[(i + 1) % len(deadlock.waits)].tid,
             "pid": w.pid, "held_by_pid": deadlock.waits[(i + 1) % len(deadlock.waits)].pid}
            for i, w in enumerate(deadlock.waits)]})
    stalled, stalls = stall_summary(data, timeline, frozenset(d["pid"] for d in deadlocks),
                                    names)
    findings.extend(stalled)
    objects = _objects(timeline, threads)
    in_cycles = {(step["pid"], step["waits_for"]) for d in deadlocks for step in d["cycle"]}
    in_cycles |= {(row["pid"], step["waits_for"]) for row in stalls for step in row["threads"]}
    for stats in objects:
        finding = None if (stats["pid"], stats["label"]) in in_cycles or stats["_shared"] \
            or stats["label"].endswith(SERVER_SIDE) else _contention(stats)
        if finding is not None:
            findings.append(finding)
    findings.extend(shared_contention(
        [s for s in objects if (s["pid"], s["label"]) not in in_cycles], CONTENTION_KINDS,
        CONTENTION_SHARE, CONTENTION_MIN_NS, _human))
    lock_ns, attributed = _unattributed(timeline, [*data.waits, *data.exit_waits])
    timeline.sync_summary = {
        "enabled": True, "threshold_ns": data.threshold_ns, "waits": len(data.waits),
        "objects": [{k: v for k, v in s.items() if not k.startswith("_")}
                    for s in objects[:TOP_OBJECTS]],
        "deadlocks": deadlocks, "stalls": stalls, "lock_state_ns": lock_ns,
        "unattributed_lock_ns": max(0, lock_ns - attributed), "not_covered": list(NOT_COVERED),
        "exit_waits": exit_wait_rows(timeline, threads)}
    return findings


def _deadlock_advice(deadlock: Deadlock) -> str:
    if any(w.kind.endswith(FLUSH) for w in deadlock.waits):
        return ("A process cannot end before its queue's feeder thread has written what it "
                "put into the queue's pipe, and nobody reads the queue while the parent waits "
                "in join(): take the items off the queue (get()) before joining the process "
                "that put them (Python docs, multiprocessing guidelines: 'Joining processes "
                "that use queues').")
    if any(w.kind in JOIN_KINDS for w in deadlock.waits):
        return ("A thread waits for another to end while holding a lock that one needs: "
                "release the lock before join(), or join with a timeout.")
    return ("Take the locks in one fixed order everywhere, or take them with "
            "acquire(timeout=...) and back off.")


def _end(wait: Wait, thread: Thread | None, timeline: Timeline) -> int:
    if wait.end is not None:
        return wait.end
    return (thread.ended_ns if thread and thread.ended_ns else None) or timeline.ended_ns


def has_contention_finding(timeline: Timeline, pid: int, label: str) -> bool:
    """Whether analyse_sync reports lock_contention for this object (other rules defer)."""
    if not timeline.sync.enabled:
        return False
    threads = {(p.pid, t.tid): t for p in timeline.processes.values() for t in p.threads.values()}
    return any(_contention(row) is not None
               for row in _objects(timeline, threads, only=(pid, label)))


def _objects(timeline: Timeline, threads: dict[tuple[int, int], Thread],
             only: tuple[int, str] | None = None) -> list[dict[str, Any]]:
    """One row per (process, label): the objects made at one line under one name (an
    account's lock, each Future of one submit() line) are one row, with how many they
    were ("instances"); objects are told apart by identity, never merged by label."""
    data = timeline.sync
    waits: dict[tuple[int, str], list[Wait]] = {}
    group_of: dict[tuple[int, int], tuple[int, str]] = {}
    for wait in data.waits:
        key = group_of.setdefault((wait.pid, wait.obj), (wait.pid, wait.label))
        if only is None or key == only:
            waits.setdefault(key, []).append(wait)
    counts: dict[tuple[int, str], list[LockCounts]] = {}
    for (pid, obj), counted in data.counts.items():
        key = group_of.setdefault((pid, obj), (pid, counted.label))
        if only is None or key == only:
            counts.setdefault(key, []).append(counted)
    for key, found_counts in counts.items():  # short waits only: kept once they add up
        if key in waits or sum(c.contended_ns for c in found_counts) >= data.threshold_ns:
            waits.setdefault(key, [])
    holds: dict[tuple[int, str], list[Hold]] = {}
    for hold in data.holds:
        group = group_of.get((hold.pid, hold.obj))
        if group is not None:
            holds.setdefault(group, []).append(hold)
    names = {key: t.name for key, t in threads.items()}
    own_waits: dict[tuple[int, int], list[Wait]] = {}
    for wait in timeline.sync.waits:
        own_waits.setdefault((wait.pid, wait.tid), []).append(wait)
    label_of = {(w.pid, w.obj): w.label for w in timeline.sync.waits}
    out: list[dict[str, Any]] = []
    # a lock's waits credited to the object whose method took it (sync_inner), by lock
    credited: dict[tuple[int, str], Counter[str]] = {}
    for wait in data.waits:
        if wait.inner_label is not None:
            credited.setdefault((wait.pid, wait.inner_label), Counter())[wait.label] += 1
    for key, found in waits.items():
        durations = [max(0, _end(w, threads.get((w.pid, w.tid)), timeline) - w.start)
                     for w in found] or [0]
        waiters = sorted({w.tid for w in found})
        lives = sum(_life(threads.get((key[0], tid))) for tid in waiters)
        contending = [(w.tid, d) for w, d in zip(found, durations, strict=False) if _contends(w)]
        rivals = {tid for tid, _d in contending}
        rival_lives = sum(_life(threads.get((key[0], tid))) for tid in rivals)
        inner = [d for w, d in zip(found, durations, strict=False) if is_inner(w.kind)]
        proc = timeline.processes.get(key[0])
        held: Counter[int] = Counter()
        held_ns: Counter[int] = Counter()
        states: Counter[str] = Counter()
        held_in: Counter[str] = Counter()  # the holders' own waits while holding: labels
        for hold in holds.get(key, []):
            thread = threads.get((hold.pid, hold.tid))
            end = hold.end if hold.end is not None else _end(
                Wait(hold.pid, hold.tid, 0, "", "", hold.start), thread, timeline)
            held[hold.tid] += 1
            held_ns[hold.tid] += max(0, end - hold.start)
            for wait in own_waits.get((hold.pid, hold.tid), []):
                wait_end = _end(wait, thread, timeline)
                overlap = min(wait_end, end) - max(wait.start, hold.start)
                if overlap > 0 and wait.label != label_of.get((hold.pid, hold.obj)):
                    held_in[waiting_text(wait)] += overlap
            if end - hold.start < SAMPLED_HOLD_NS:
                continue
            for run in thread.states if thread else []:
                overlap = min(run.ts + run.dur, end) - max(run.ts, hold.start)
                if overlap > 0:
                    states[run.state] += overlap
        ended_by = Counter(_ender(names, timeline, key[0], w) for w in found
                           if w.releaser is not None)  # by name: alike threads add up
        tallies = counts.get(key, [])
        label = found[0].label if found else key[1]
        out.append({
            "pid": key[0], "process": proc.name if proc else None, "label": label,
            "kind": label.split("@")[0] if "@" in label else
            found[0].kind if found else tallies[0].kind,
            "instances": len({w.obj for w in found} | {c.obj for c in tallies}),
            "unnamed": label.endswith("@?") or "@? (" in label or None,
            "waits": len(found),
            "open_waits": sum(1 for w in found if w.end is None),
            "total_wait_ns": sum(durations), "max_wait_ns": max(durations),
            "waiters": [_who(names, key[0], t) for t in waiters],
            "waiter_share": round(sum(durations) / lives, 3) if lives else None,
            "outcomes": dict(Counter(w.outcome or "still_waiting" for w in found)),
            "ended_by": [{"thread": name, "waits": n} for name, n in ended_by.most_common(5)],
            "holders": [{"thread": _who(names, key[0], t), "contended_holds": n,
                         "hold_ns": held_ns[t]} for t, n in held.most_common(5)],
            "holder_state": STATES[states.most_common(1)[0][0]].slice_name if states else None,
            # what the holders themselves waited for while holding, when that was most
            # of their holds ("waiting for Thread worker to end")
            "holder_waits_for": held_in.most_common(1)[0][0] if held_in and 2 * sum(
                held_in.values()) > sum(held_ns.values()) else None,
            # every acquisition, short waits included (locks contended at least once)
            "acquisitions": sum(c.acquires for c in tallies) if tallies else None,
            "contended": sum(c.contended for c in tallies) if tallies else None,
            "contended_ns": sum(c.contended_ns for c in tallies) if tallies else None,
            # waits in its own methods for its inner lock, not held long (sync_inner)
            "inner_lock_waits": len(inner) or None,
            "inner_lock_ns": sum(inner) if inner else None,
            # joins of a process: the part spent in concurtrace's save of its trace
            "tracer_save_ns": _save_inside(timeline, found, durations),
            # on the lock's own row: how many of its waits are rows of those objects
            "credited_to": [{"label": outer, "waits": n} for outer, n
                            in credited.get((key[0], label), Counter()).most_common(3)]
            or None,
            "_mean_hold_ns": sum(held_ns.values()) / sum(held.values()) if held else None,
            "_shared": found[0].shared if found else None, "_lives_ns": lives,
            # the waits that can be contention (sync_inner's and a signal semaphore's not)
            "_rivals": [_who(names, key[0], t) for t in sorted(rivals)],
            "_rival_ns": sum(d for _tid, d in contending),
            "_rival_share": round(sum(d for _tid, d in contending) / rival_lives, 3)
            if rival_lives else None,
        })
    out.sort(key=lambda s: -max(int(s["total_wait_ns"]), int(s["contended_ns"] or 0)))
    return out


def _target(timeline: Timeline, wait: Wait) -> Process | None:
    """The process a join waited for, when concurtrace's exit save of its trace overlapped
    the wait (its program was done: exit_began_ns; the save ended: trace_saved_ns)."""
    if wait.kind not in PROCESS_JOINS or wait.target_pid is None:
        return None
    proc = timeline.processes.get(wait.target_pid)
    if proc is None or proc.exit_began_ns is None or proc.trace_saved_ns is None:
        return None
    return proc if proc.trace_saved_ns > wait.start else None


def _save_inside(timeline: Timeline, waits: list[Wait], durations: list[int]) -> int | None:
    """How much of these joins went by while the child waited for was saving its function
    trace at its exit: time that a run without concurtrace does not have (the child had
    finished its program; docs/timeline.md, the join's end)."""
    total = 0
    for wait, took in zip(waits, durations, strict=False):
        proc = _target(timeline, wait)
        if proc is None or proc.exit_began_ns is None or proc.trace_saved_ns is None:
            continue
        total += max(0, min(wait.start + took, proc.trace_saved_ns)
                     - max(wait.start, proc.exit_began_ns))
    return total or None


def _who(names: dict[tuple[int, int], str], pid: int, tid: int) -> str:
    return names.get((pid, tid), str(tid))


def _ender(names: dict[tuple[int, int], str], timeline: Timeline, pid: int, wait: Wait) -> str:
    """The thread that ended a wait; "MainThread of Process-1" when another process's."""
    by_pid = wait.releaser_pid or pid
    who = _who(names, by_pid, wait.releaser or 0)
    if by_pid == pid:
        return who
    proc = timeline.processes.get(by_pid)
    return f"{who} of {proc.name if proc else f'pid {by_pid}'}"


def _life(thread: Thread | None) -> int:
    if thread is None or thread.started_ns is None or thread.ended_ns is None:
        return 0
    return max(0, thread.ended_ns - thread.started_ns)


def _contends(wait: Wait) -> bool:
    """Whether a wait can be contention: not a lock wait inside an object's own method
    (sync_inner: the lock was not held long), nor a wait on a semaphore made with value 0
    or on a Lock its waiter holds itself (trio's thread cache hands its workers jobs so):
    signals, whose waiters wait for another thread's release, as for an item or an Event."""
    return not is_inner(wait.kind) and not (
        wait.kind in ("Semaphore", "BoundedSemaphore") and wait.initial == 0) and not (
        wait.kind == "Lock" and wait.holder == wait.tid)


def _contention(stats: dict[str, Any]) -> Finding | None:
    share = stats["_rival_share"] if "_rival_share" in stats else stats["waiter_share"]
    if stats["kind"] not in CONTENTION_KINDS or share is None or share < CONTENTION_SHARE \
            or stats.get("_rival_ns", stats["total_wait_ns"]) < CONTENTION_MIN_NS:
        return None
    rivals = stats.get("_rivals", stats["waiters"])
    count = len(rivals)
    who = f"{count} threads" if count > 1 else f"Thread '{rivals[0]}'"
    lives = "their lives" if count > 1 else "its life"
    message = f"{who} waited {share:.0%} of {lives} for {stats['label']}"
    if stats["process"]:
        message += f" in {stats['process']}"
    advice = "Hold it for less time, or split what it protects."
    if stats["kind"] in ("Semaphore", "BoundedSemaphore"):
        advice = ("A semaphore lets only its value's worth of threads in at once: this "
                  "waiting is that limit at work. Raise the value if what it guards allows "
                  "more at once (connections, slots), or hold it for less time.")
    state, mean = stats["holder_state"], stats["_mean_hold_ns"]
    if mean:
        message += f"; each holder kept it {_human(mean)} on average"
        waits_for = stats["holder_waits_for"]
        if waits_for or state:
            message += f", mostly {waits_for or state}"
        if waits_for:
            advice = ("Do not wait for another thread, queue or event while holding a lock "
                      "others need: release it first.")
        elif state in ("sleeping", "I/O", "waiting for child"):
            advice = "Do the slow work (sleep, I/O, waiting) outside the lock."
        elif state in ("running", "waiting for GIL", "waiting for CPU"):
            advice = "Compute outside the lock and hold it only to publish the result."
    return Finding("lock_contention", stats["pid"], None, message + ".", advice, 3)


def _unattributed(timeline: Timeline, waits: list[Wait]) -> tuple[int, int]:
    """Sampled "waiting for lock" time, and the part of it inside recorded waits."""
    by_thread: dict[tuple[int, int], list[Wait]] = {}
    for wait in waits:
        by_thread.setdefault((wait.pid, wait.tid), []).append(wait)
    total = covered = 0
    for proc in timeline.processes.values():
        for thread in proc.threads.values():
            spans = [(w.start, _end(w, thread, timeline))
                     for w in by_thread.get((proc.pid, thread.tid), [])]
            for run in thread.states:
                if run.state != "lock":
                    continue
                total += run.dur
                for start, end in spans:
                    covered += max(0, min(end, run.ts + run.dur) - max(start, run.ts))
    return total, covered
