"""Read the gallery scenarios' EXPECT literals and check them against a summary.

Every script in src/concurtrace/scenarios/ declares a module-level literal
``EXPECT = {...}``. It is read with ``ast.literal_eval`` (the script is never
executed here) and checked against the JSON printed by
``concurtrace summary TRACE --json`` (schema "concurtrace.summary/1", see
docs/summary-schema.md). Only the facts listed in EXPECT are checked; extra processes,
threads and findings in the summary are fine.

EXPECT keys (all optional except "exit_code"):

- ``exit_code``: the script's exit status; a negative value -N means "killed by
  signal N", for which concurtrace itself exits 128+N.
- ``python_min`` / ``python_max`` ([major, minor], inclusive) with
  ``skip_reason``: the scenario only applies to those versions.
- ``processes``: entries selecting processes by exactly one of ``name``,
  ``name_prefix``, ``name_regex`` (full match), plus facts: ``parent`` (the
  logical parent's name, None for the root), ``daemon``, ``exit_code``,
  ``signal`` ("SIGTERM" or None), ``terminated_by`` (the reason or None),
  ``handled_signal`` (the name of a signal it outlived and exited after, or None),
  ``role`` ("infrastructure" or None), ``start_method``, ``traced``. ``count``
  (exact) or ``min_count`` say how many processes must match the selector AND
  every fact; the default is exactly one for ``name`` and at least one for a
  prefix or regex. ``python_min`` /
  ``python_max`` make the entry apply to those versions only.
- ``min_processes``: the tree holds at least this many processes.
- ``threads``: entries selecting threads by ``process`` (the owning process's
  name; any process if absent) and ``name`` / ``name_prefix`` / ``name_regex``,
  with facts ``daemon``, ``abandoned``, ``min_s`` / ``max_s`` (lifetime
  ended_ns - started_ns, in seconds) and the same count rules as processes.
- ``gil``: an entry or a list of entries ``{"process"?, "thread" |
  "thread_prefix" | "thread_regex", "min_share"?, "max_share"?}``; every
  selected thread (at least one) must have states_ns["gil"] / lifetime within
  the bounds. ``states``: the same with a ``state`` key naming any states_ns
  key ("lock", "sleep", "io", "running", ...).
- ``findings``: finding kinds that must be present; ``no_findings``: kinds
  that must be absent.
- ``sync`` and ``sync_slices``: see gallery_sync_expect.py.
- ``sync_objects``: entries ``{"label", "min_waits"?, "min_waiting_processes"?}``: the
  summary's ``sync.objects`` rows with that exact label (one row per waiting process)
  hold at least that many waits in all, from at least that many processes.
- ``asyncio``: facts about the summary's asyncio loops (all loops together):
  ``min_tasks`` (tasks created), ``awaits`` (kinds of wait each seen at least once,
  e.g. "Queue.get", "to_thread"), ``outcomes`` ({outcome: minimum count}, e.g.
  {"cancelled": 2}).
- ``timeout_s``: the script never ends by itself (a deadlock): plain, it must still
  be running after that many seconds; traced, it runs with ``--timeout``.

Tolerances, all from the contract: GIL facts are not checked when the summary
says the GIL is disabled (free-threaded build); facts about syscall-classified
states (gil, lock, sleep, io, child, other) are not checked unless
gil_method is "proc-syscall" (with "schedstat-only" the tool can only tell
running from off-CPU, and "none" has no states). Such skips come back as notes.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gallery_sync_expect import check_sync, validate_sync

from concurtrace.model.vocabulary import STATE_KEYS

SUMMARY_SCHEMA = "concurtrace.summary/1"

SYSCALL_STATES = frozenset({"gil", "lock", "sleep", "io", "child", "other"})
TERMINATION_REASONS = frozenset({"daemon_cleanup", "terminate", "kill", "external", "timeout",
                                 "interrupt"})

_VERSION_KEYS = {"python_min", "python_max"}
_NAME_KEYS = {"name", "name_prefix", "name_regex"}
_COUNT_KEYS = {"count", "min_count"}
_TOP_KEYS = {
    "exit_code", "processes", "min_processes", "threads", "gil", "states", "findings",
    "no_findings", "python_min", "python_max", "skip_reason", "timeout_s",
    "sync", "sync_slices",  # gallery_sync_expect.py
    "sync_objects",
    "asyncio",
}
_SYNC_OBJECT_KEYS = {"label", "min_waits", "min_waiting_processes"}
_PROCESS_FACTS = {
    "parent", "daemon", "exit_code", "signal", "terminated_by", "start_method", "traced",
    "handled_signal", "role",
}
_THREAD_FACTS = {"daemon", "abandoned", "min_s", "max_s"}
_SHARE_KEYS = {"process", "thread", "thread_prefix", "thread_regex", "min_share", "max_share"}

Version = tuple[int, int]


class ExpectError(ValueError):
    """A scenario's EXPECT is missing, not a literal, or malformed."""


# --------------------------------------------------------------------------- loading


def load_expect(path: Path) -> dict[str, Any]:
    """The script's module-level EXPECT literal, validated."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in tree.body:
        target: ast.expr | None = None
        value: ast.expr | None = None
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value = node.targets[0], node.value
        elif isinstance(node, ast.AnnAssign):
            target, value = node.target, node.value
        if isinstance(target, ast.Name) and target.id == "EXPECT" and value is not None:
            try:
                expect = ast.literal_eval(value)
            except ValueError as exc:
                raise ExpectError(f"{path.name}: EXPECT is not a pure literal: {exc}") from exc
            validate_expect(expect, where=path.name)
            return dict(expect)
    raise ExpectError(f"{path.name}: no module-level EXPECT = {{...}}")


def _version(value: object, where: str) -> Version:
    if (
        not isinstance(value, list | tuple)
        or len(value) != 2
        or not all(isinstance(v, int) for v in value)
    ):
        raise ExpectError(f"{where}: a version must be [major, minor], got {value!r}")
    return (int(value[0]), int(value[1]))


def _check_keys(entry: object, allowed: set[str], where: str) -> Mapping[str, Any]:
    if not isinstance(entry, dict):
        raise ExpectError(f"{where}: expected a dict, got {entry!r}")
    unknown = set(entry) - allowed
    if unknown:
        raise ExpectError(f"{where}: unknown key(s) {sorted(unknown)}; allowed {sorted(allowed)}")
    return entry


def _check_selector(entry: Mapping[str, Any], keys: set[str], where: str) -> None:
    given = [k for k in keys if k in entry]
    if len(given) != 1:
        raise ExpectError(f"{where}: needs exactly one of {sorted(keys)}, got {given}")
    key = given[0]
    if not isinstance(entry[key], str):
        raise ExpectError(f"{where}: {key} must be a string")
    if key.endswith("_regex"):
        try:
            re.compile(entry[key])
        except re.error as exc:
            raise ExpectError(f"{where}: bad regex {entry[key]!r}: {exc}") from exc
    if "count" in entry and "min_count" in entry:
        raise ExpectError(f"{where}: give count or min_count, not both")
    for k in _COUNT_KEYS & set(entry):
        if not isinstance(entry[k], int) or entry[k] < 0:
            raise ExpectError(f"{where}: {k} must be a non-negative int")
    for k in _VERSION_KEYS & set(entry):
        _version(entry[k], f"{where}.{k}")


def _check_bounds(entry: Mapping[str, Any], lo: str, hi: str, where: str) -> None:
    for k in (lo, hi):
        if k in entry and not isinstance(entry[k], int | float):
            raise ExpectError(f"{where}: {k} must be a number")
    if lo in entry and hi in entry and entry[lo] > entry[hi]:
        raise ExpectError(f"{where}: {lo} > {hi}")


def validate_expect(expect: object, where: str = "EXPECT") -> None:
    """Raise ExpectError when EXPECT does not follow the format in this module's docstring."""
    top = _check_keys(expect, _TOP_KEYS, where)
    if not isinstance(top.get("exit_code"), int) or isinstance(top.get("exit_code"), bool):
        raise ExpectError(f"{where}: exit_code (int) is required")
    for k in _VERSION_KEYS & set(top):
        _version(top[k], f"{where}.{k}")
    if (_VERSION_KEYS & set(top)) and not isinstance(top.get("skip_reason"), str):
        raise ExpectError(f"{where}: python_min/python_max need a skip_reason")
    for i, raw in enumerate(top.get("processes", [])):
        w = f"{where}.processes[{i}]"
        entry = _check_keys(raw, _NAME_KEYS | _COUNT_KEYS | _VERSION_KEYS | _PROCESS_FACTS, w)
        _check_selector(entry, _NAME_KEYS, w)
        reason = entry.get("terminated_by")
        if reason is not None and reason not in TERMINATION_REASONS:
            raise ExpectError(f"{w}: terminated_by must be one of {sorted(TERMINATION_REASONS)}")
        sig = entry.get("signal")
        if sig is not None and not (isinstance(sig, str) and sig.startswith("SIG")):
            raise ExpectError(f"{w}: signal must be a name like 'SIGTERM' or None")
    if "min_processes" in top and not isinstance(top["min_processes"], int):
        raise ExpectError(f"{where}: min_processes must be an int")
    for i, raw in enumerate(top.get("threads", [])):
        w = f"{where}.threads[{i}]"
        allowed = _NAME_KEYS | _COUNT_KEYS | _VERSION_KEYS | _THREAD_FACTS | {"process"}
        entry = _check_keys(raw, allowed, w)
        _check_selector(entry, _NAME_KEYS, w)
        _check_bounds(entry, "min_s", "max_s", w)
    for key in ("gil", "states"):
        for i, raw in enumerate(_share_entries(top, key)):
            w = f"{where}.{key}[{i}]"
            allowed = _SHARE_KEYS | _VERSION_KEYS | ({"state"} if key == "states" else set())
            entry = _check_keys(raw, allowed, w)
            _check_selector(entry, {"thread", "thread_prefix", "thread_regex"}, w)
            _check_bounds(entry, "min_share", "max_share", w)
            if "min_share" not in entry and "max_share" not in entry:
                raise ExpectError(f"{w}: needs min_share and/or max_share")
            if key == "states" and entry.get("state") not in STATE_KEYS:
                raise ExpectError(f"{w}: state must be one of {STATE_KEYS}")
    for key in ("findings", "no_findings"):
        kinds = top.get(key, [])
        if not isinstance(kinds, list) or not all(isinstance(k, str) for k in kinds):
            raise ExpectError(f"{where}: {key} must be a list of finding kinds")
    validate_sync(top, where, ExpectError)
    for i, raw in enumerate(top.get("sync_objects", [])):
        entry = _check_keys(raw, _SYNC_OBJECT_KEYS, f"{where}.sync_objects[{i}]")
        if not isinstance(entry.get("label"), str):
            raise ExpectError(f"{where}.sync_objects[{i}]: label (str) is required")
    if "asyncio" in top:
        _check_keys(top["asyncio"], {"min_tasks", "awaits", "outcomes"}, f"{where}.asyncio")


def _share_entries(expect: Mapping[str, Any], key: str) -> list[Mapping[str, Any]]:
    raw = expect.get(key, [])
    return [raw] if isinstance(raw, dict) else list(raw)


def expected_returncode(exit_code: int) -> int:
    """What `concurtrace run` exits with for a script whose status is exit_code."""
    return 128 - exit_code if exit_code < 0 else exit_code


def _in_versions(entry: Mapping[str, Any], python: Version) -> bool:
    if "python_min" in entry and python < _version(entry["python_min"], "python_min"):
        return False
    return not ("python_max" in entry and python > _version(entry["python_max"], "python_max"))


def skip_reason(expect: Mapping[str, Any], python: Version) -> str | None:
    """Why the scenario does not apply to this Python, or None when it does."""
    if _in_versions(expect, python):
        return None
    return f"Python {python[0]}.{python[1]}: {expect.get('skip_reason', 'not applicable')}"


# --------------------------------------------------------------------------- checking


@dataclass
class CheckResult:
    failures: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failures

    def report(self) -> str:
        return "\n\n".join(self.failures)


class _Summary:
    """Index over a summary dict: names of parents, threads' processes."""

    def __init__(self, summary: Mapping[str, Any]) -> None:
        self.raw = summary
        self.processes: list[Mapping[str, Any]] = list(summary.get("processes") or [])
        self.threads: list[Mapping[str, Any]] = list(summary.get("threads") or [])
        self.findings: list[Mapping[str, Any]] = list(summary.get("findings") or [])

    def process_at(self, pid: object, when: object) -> Mapping[str, Any] | None:
        """The process with this pid; with pid reuse, the one started last before `when`."""
        same = [p for p in self.processes if p.get("pid") == pid]
        if len(same) <= 1:
            return same[0] if same else None
        if isinstance(when, int):
            before = [p for p in same if isinstance(p.get("started_ns"), int)
                      and p["started_ns"] <= when]
            if before:
                return max(before, key=lambda p: int(p["started_ns"]))
        return same[0]

    def parent_name(self, proc: Mapping[str, Any]) -> str | None:
        parent = self.process_at(proc.get("ppid"), proc.get("started_ns"))
        return None if parent is None else str(parent.get("name"))

    def process_of(self, thread: Mapping[str, Any]) -> Mapping[str, Any] | None:
        return self.process_at(thread.get("pid"), thread.get("started_ns"))

    def process_name_of(self, thread: Mapping[str, Any]) -> str | None:
        proc = self.process_of(thread)
        return None if proc is None else str(proc.get("name"))

    # rows shown in failure messages
    def process_row(self, p: Mapping[str, Any]) -> str:
        term = p.get("terminated_by")
        row = {
            "pid": p.get("pid"),
            "name": p.get("name"),
            "parent": f"{self.parent_name(p)} (ppid {p.get('ppid')}, os_ppid {p.get('os_ppid')})",
            "daemon": p.get("daemon"),
            "start_method": p.get("start_method"),
            "exit_code": p.get("exit_code"),
            "signal": p.get("signal"),
            "terminated_by": term,
            "handled_signal": p.get("handled_signal"),
            "role": p.get("role"),
            "traced": p.get("traced"),
        }
        return json.dumps(row, default=str)

    def thread_row(self, t: Mapping[str, Any]) -> str:
        life = _lifetime_ns(t)
        states = t.get("states_ns") or {}
        shares = (
            {k: round(v / life, 3) for k, v in states.items() if isinstance(v, int | float) and v}
            if life
            else states
        )
        row = {
            "process": f"{self.process_name_of(t)} (pid {t.get('pid')})",
            "tid": t.get("tid"),
            "name": t.get("name"),
            "daemon": t.get("daemon"),
            "abandoned": t.get("abandoned"),
            "lifetime_s": None if life is None else round(life / 1e9, 3),
            "state_shares": shares,
        }
        return json.dumps(row, default=str)


def _lifetime_ns(t: Mapping[str, Any]) -> int | None:
    start, end = t.get("started_ns"), t.get("ended_ns")
    if isinstance(start, int) and isinstance(end, int):
        return end - start
    return None


def _name_matches(entry: Mapping[str, Any], name: object, prefix: str = "name") -> bool:
    if not isinstance(name, str):
        return False
    if prefix in entry:
        return bool(name == entry[prefix])
    if f"{prefix}_prefix" in entry:
        return name.startswith(str(entry[f"{prefix}_prefix"]))
    return re.fullmatch(entry[f"{prefix}_regex"], name) is not None


def _selector_text(entry: Mapping[str, Any], keys: Sequence[str]) -> str:
    return ", ".join(f"{k}={entry[k]!r}" for k in keys if k in entry)


def _count_ok(entry: Mapping[str, Any], n: int) -> tuple[bool, str]:
    if "count" in entry:
        return n == entry["count"], f"exactly {entry['count']}"
    if "min_count" in entry:
        return n >= entry["min_count"], f"at least {entry['min_count']}"
    if "name" in entry:
        return n == 1, "exactly 1"
    return n >= 1, "at least 1"


def _process_mismatches(s: _Summary, p: Mapping[str, Any], entry: Mapping[str, Any]) -> list[str]:
    out: list[str] = []
    for key in sorted(_PROCESS_FACTS & set(entry)):
        want = entry[key]
        if key == "parent":
            got: object = s.parent_name(p)
        elif key == "terminated_by":
            term = p.get("terminated_by")
            got = term.get("reason") if isinstance(term, dict) else term
        elif key == "handled_signal":
            handled = p.get("handled_signal")
            got = handled.get("signal") if isinstance(handled, dict) else handled
        else:
            got = p.get(key)
        if key in ("daemon", "traced") and got is not want:
            out.append(f"{key}: expected {want!r}, got {got!r}")
        elif got != want or type(got) is bool and type(want) is not bool:
            out.append(f"{key}: expected {want!r}, got {got!r}")
    return out


def _thread_mismatches(t: Mapping[str, Any], entry: Mapping[str, Any]) -> list[str]:
    out: list[str] = []
    for key in ("daemon", "abandoned"):
        if key in entry and t.get(key) is not entry[key]:
            out.append(f"{key}: expected {entry[key]!r}, got {t.get(key)!r}")
    if "min_s" in entry or "max_s" in entry:
        life = _lifetime_ns(t)
        if life is None:
            out.append(
                f"lifetime: started_ns={t.get('started_ns')!r}, ended_ns={t.get('ended_ns')!r}"
                " (both must be ints)"
            )
        else:
            secs = life / 1e9
            if "min_s" in entry and secs < entry["min_s"]:
                out.append(f"lifetime: {secs:.3f} s < min_s {entry['min_s']}")
            if "max_s" in entry and secs > entry["max_s"]:
                out.append(f"lifetime: {secs:.3f} s > max_s {entry['max_s']}")
    return out


def _check_processes(s: _Summary, expect: Mapping[str, Any], python: Version,
                     res: CheckResult) -> None:
    for i, entry in enumerate(expect.get("processes", [])):
        if not _in_versions(entry, python):
            continue
        sel = _selector_text(entry, ["name", "name_prefix", "name_regex"])
        candidates = [p for p in s.processes if _name_matches(entry, p.get("name"))]
        good = [p for p in candidates if not _process_mismatches(s, p, entry)]
        ok, wanted = _count_ok(entry, len(good))
        if ok:
            continue
        facts = {k: entry[k] for k in sorted(_PROCESS_FACTS & set(entry))}
        lines = [
            f"processes[{i}] ({sel}): expected {wanted} process(es) with {facts}, "
            f"found {len(good)} (of {len(candidates)} with that name)"
        ]
        if candidates:
            for p in candidates:
                bad = _process_mismatches(s, p, entry)
                lines.append(f"  {s.process_row(p)}")
                lines.extend(f"    -> {b}" for b in bad)
        else:
            lines.append("  no process has that name; the tree holds:")
            lines.extend(f"  {s.process_row(p)}" for p in s.processes)
        res.failures.append("\n".join(lines))
    if "min_processes" in expect and len(s.processes) < expect["min_processes"]:
        lines = [f"min_processes: expected at least {expect['min_processes']}, "
                 f"found {len(s.processes)}"]
        lines.extend(f"  {s.process_row(p)}" for p in s.processes)
        res.failures.append("\n".join(lines))


def _threads_in(
    s: _Summary, entry: Mapping[str, Any], key: str = "name"
) -> list[Mapping[str, Any]]:
    return [
        t for t in s.threads
        if ("process" not in entry or s.process_name_of(t) == entry["process"])
        and _name_matches(entry, t.get("name"), key)
    ]


def _threads_of_process(s: _Summary, entry: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    if "process" not in entry:
        return s.threads
    return [t for t in s.threads if s.process_name_of(t) == entry["process"]]


def _check_threads(s: _Summary, expect: Mapping[str, Any], python: Version,
                   res: CheckResult) -> None:
    for i, entry in enumerate(expect.get("threads", [])):
        if not _in_versions(entry, python):
            continue
        sel = _selector_text(entry, ["process", "name", "name_prefix", "name_regex"])
        candidates = _threads_in(s, entry)
        good = [t for t in candidates if not _thread_mismatches(t, entry)]
        ok, wanted = _count_ok(entry, len(good))
        if ok:
            continue
        facts = {k: entry[k] for k in sorted(_THREAD_FACTS & set(entry))}
        lines = [
            f"threads[{i}] ({sel}): expected {wanted} thread(s) with {facts}, "
            f"found {len(good)} (of {len(candidates)} with that name)"
        ]
        if candidates:
            for t in candidates:
                lines.append(f"  {s.thread_row(t)}")
                lines.extend(f"    -> {b}" for b in _thread_mismatches(t, entry))
        else:
            lines.append("  no thread has that name there; threads of that process:")
            lines.extend(f"  {s.thread_row(t)}" for t in _threads_of_process(s, entry))
        res.failures.append("\n".join(lines))


def _check_shares(s: _Summary, expect: Mapping[str, Any], python: Version,
                  res: CheckResult) -> None:
    gil_state = s.raw.get("gil")
    method = s.raw.get("gil_method")
    entries = [("gil", i, e, "gil") for i, e in enumerate(_share_entries(expect, "gil"))]
    entries += [("states", i, e, str(e["state"]))
                for i, e in enumerate(_share_entries(expect, "states"))]
    for key, i, entry, state in entries:
        if not _in_versions(entry, python):
            continue
        sel = _selector_text(entry, ["process", "thread", "thread_prefix", "thread_regex"])
        label = f"{key}[{i}] ({sel}, state {state!r})"
        if state == "gil" and gil_state == "disabled":
            res.notes.append(f"{label}: not checked, the summary says the GIL is disabled")
            continue
        if state in SYSCALL_STATES and method != "proc-syscall":
            res.notes.append(f"{label}: not checked, gil_method is {method!r}")
            continue
        threads = _threads_in(s, entry, "thread")
        if not threads:
            lines = [f"{label}: no such thread; threads of that process:"]
            lines.extend(f"  {s.thread_row(t)}" for t in _threads_of_process(s, entry))
            res.failures.append("\n".join(lines))
            continue
        for t in threads:
            problem = _share_problem(t, state, entry)
            if problem:
                res.failures.append(f"{label}: {problem}\n  {s.thread_row(t)}")


def _share_problem(t: Mapping[str, Any], state: str, entry: Mapping[str, Any]) -> str | None:
    life = _lifetime_ns(t)
    states = t.get("states_ns")
    if life is None or life <= 0:
        return f"thread {t.get('name')!r} has no usable lifetime"
    if not isinstance(states, dict) or not isinstance(states.get(state), int | float):
        return f"thread {t.get('name')!r} has no states_ns[{state!r}]"
    share = states[state] / life
    what = f"thread {t.get('name')!r}: {state} share {share:.3f}"
    if "min_share" in entry and share < entry["min_share"]:
        return f"{what} < min_share {entry['min_share']}"
    if "max_share" in entry and share > entry["max_share"]:
        return f"{what} > max_share {entry['max_share']}"
    return None


def _check_findings(s: _Summary, expect: Mapping[str, Any], res: CheckResult) -> None:
    kinds = [f.get("kind") for f in s.findings]
    rows = "\n".join(f"  {json.dumps(f, default=str)}" for f in s.findings) or "  (none)"
    for kind in expect.get("findings", []):
        if kind not in kinds:
            res.failures.append(f"findings: expected a {kind!r} finding; the summary has:\n{rows}")
    for kind in expect.get("no_findings", []):
        if kind in kinds:
            bad = "\n".join(f"  {json.dumps(f, default=str)}" for f in s.findings
                            if f.get("kind") == kind)
            res.failures.append(f"no_findings: unexpected {kind!r} finding(s):\n{bad}")


def check_summary(expect: Mapping[str, Any], summary: Mapping[str, Any],
                  python: Version) -> CheckResult:
    """Every fact of EXPECT that applies to `python`, checked against a summary dict."""
    res = CheckResult()
    if summary.get("schema") != SUMMARY_SCHEMA:
        res.failures.append(
            f"schema: expected {SUMMARY_SCHEMA!r}, got {summary.get('schema')!r}"
        )
        return res
    version = str(summary.get("python", ""))
    if version.split(".")[:2] != [str(python[0]), str(python[1])]:
        res.failures.append(
            f"python: the summary says {version!r}, the scenario ran on {python[0]}.{python[1]}"
        )
    s = _Summary(summary)
    _check_processes(s, expect, python, res)
    _check_threads(s, expect, python, res)
    _check_shares(s, expect, python, res)
    _check_findings(s, expect, res)
    res.failures.extend(check_sync(expect, summary))
    _check_sync_objects(summary, expect, res)
    _check_asyncio(summary, expect, res)
    return res


def _check_sync_objects(summary: Mapping[str, Any], expect: Mapping[str, Any],
                        res: CheckResult) -> None:
    objects = (summary.get("sync") or {}).get("objects") or []
    for entry in expect.get("sync_objects", []):
        rows = [o for o in objects if o.get("label") == entry["label"]]
        waits = sum(int(o.get("waits") or 0) for o in rows)
        pids = {o.get("pid") for o in rows}
        if not rows or waits < entry.get("min_waits", 1) \
                or len(pids) < entry.get("min_waiting_processes", 1):
            seen = sorted({str(o.get("label")) for o in objects})
            res.failures.append(f"sync_objects: {entry} not met: {waits} waits from "
                                f"{len(pids)} processes; labels: {seen}")


def _check_asyncio(summary: Mapping[str, Any], expect: Mapping[str, Any],
                   res: CheckResult) -> None:
    want = expect.get("asyncio")
    if not isinstance(want, dict):
        return
    loops = (summary.get("asyncio") or {}).get("loops") or []
    created = sum(int(loop.get("tasks_created", 0)) for loop in loops)
    if created < want.get("min_tasks", 0):
        res.failures.append(f"asyncio: {created} tasks created, expected >= {want['min_tasks']}")
    kinds = {kind for loop in loops for kind in loop.get("awaits") or {}}
    for kind in want.get("awaits", []):
        if kind not in kinds:
            res.failures.append(f"asyncio: no {kind!r} await; the summary has {sorted(kinds)}")
    for outcome, least in (want.get("outcomes") or {}).items():
        got = sum(int((loop.get("outcomes") or {}).get(outcome, 0)) for loop in loops)
        if got < least:
            res.failures.append(f"asyncio: {got} tasks ended {outcome!r}, expected >= {least}")
