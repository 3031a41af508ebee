"""The EXPECT keys about synchronization (read by gallery_expect.py and test_gallery.py).

- ``sync``: entries ``{"label_regex", "min_waits"?, "min_instances"?, "min_waiters"?,
  "outcomes"? (each must occur), "ended_by_prefix"? (every thread that ended one of its
  waits has this name prefix)}``, checked against the summary's ``sync.objects`` rows
  whose label fully matches the regex (at least one row must, and the facts hold for
  the rows together).
- ``sync_slices``: entries checked in the trace with Perfetto's engine: slices on a
  track fully matching ``track_regex`` (a " sync" track when absent) whose name fully
  matches ``name_regex``, at least ``min_count`` of them, each with the ``outcome`` and
  a releaser starting with ``releaser_prefix`` when given; with ``flow_src_regex``, the
  slices are the ends of flows whose start's name fully matches it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

SYNC_KEYS = {"label_regex", "min_waits", "min_instances", "min_waiters", "outcomes",
             "ended_by_prefix"}
SLICE_KEYS = {"track_regex", "name_regex", "min_count", "outcome", "releaser_prefix",
              "flow_src_regex"}
SLICES = ("select t.name as track, s.name, "
          "extract_arg(s.arg_set_id, 'debug.releaser') as releaser, "
          "extract_arg(s.arg_set_id, 'debug.outcome') as outcome "
          "from slice s join track t on s.track_id = t.id where t.name like '% sync%'")
FLOWS = ("select so.name as src, ti.name as track, si.name as name, null as releaser, "
         "null as outcome from flow f join slice so on f.slice_out = so.id "
         "join slice si on f.slice_in = si.id join track ti on si.track_id = ti.id")


def validate_sync(expect: Mapping[str, Any], where: str, error: type[Exception]) -> None:
    for key, allowed, needed in (("sync", SYNC_KEYS, "label_regex"),
                                 ("sync_slices", SLICE_KEYS, "name_regex")):
        for i, entry in enumerate(expect.get(key, [])):
            w = f"{where}.{key}[{i}]"
            if not isinstance(entry, dict) or set(entry) - allowed or needed not in entry:
                raise error(f"{w}: a dict with {needed} and keys from {sorted(allowed)}")
            for k in ("label_regex", "name_regex", "track_regex", "flow_src_regex"):
                if k in entry:
                    re.compile(entry[k])


def check_sync(expect: Mapping[str, Any], summary: Mapping[str, Any]) -> list[str]:
    rows = list((summary.get("sync") or {}).get("objects") or [])
    failures: list[str] = []
    for i, entry in enumerate(expect.get("sync", [])):
        found = [r for r in rows if re.fullmatch(entry["label_regex"], str(r.get("label")))]
        problems = _row_problems(entry, found)
        if problems:
            labels = [(r.get("label"), r.get("waits")) for r in rows]
            failures.append(f"sync[{i}] ({entry['label_regex']!r}): {'; '.join(problems)}\n"
                            f"  objects (label, waits): {labels}")
    return failures


def _row_problems(entry: Mapping[str, Any], found: list[Mapping[str, Any]]) -> list[str]:
    if not found:
        return ["no object with such a label"]
    problems = []
    for key in ("waits", "instances"):
        total = sum(int(r.get(key) or 0) for r in found)
        if total < entry.get(f"min_{key}", 0):
            problems.append(f"{key} {total} < {entry[f'min_{key}']}")
    waiters = {w for r in found for w in r.get("waiters") or []}
    if len(waiters) < entry.get("min_waiters", 0):
        problems.append(f"waiters {sorted(waiters)} < {entry['min_waiters']}")
    outcomes = {o for r in found for o in (r.get("outcomes") or {})}
    missing = set(entry.get("outcomes", [])) - outcomes
    if missing:
        problems.append(f"outcomes {sorted(outcomes)} lack {sorted(missing)}")
    enders = {e.get("thread") for r in found for e in r.get("ended_by") or []}
    prefix = entry.get("ended_by_prefix")
    if prefix is not None and (not enders or any(not str(t).startswith(prefix)
                                                 for t in enders)):
        problems.append(f"ended by {sorted(map(str, enders))}, not all {prefix!r}*")
    return problems


def check_sync_slices(expect: Mapping[str, Any],
                      query: Callable[[str], list[dict[str, Any]]]) -> list[str]:
    """query(sql) runs SQL on the trace with Perfetto's engine."""
    entries = list(expect.get("sync_slices", []))
    if not entries:
        return []
    slices, flows = query(SLICES), None
    failures: list[str] = []
    for i, entry in enumerate(entries):
        rows = slices
        if "flow_src_regex" in entry:
            flows = flows if flows is not None else query(FLOWS)
            rows = [r for r in flows if re.fullmatch(entry["flow_src_regex"], str(r["src"]))]
        track = entry.get("track_regex", ".* sync.*")
        good = [r for r in rows if re.fullmatch(track, str(r["track"]))
                and re.fullmatch(entry["name_regex"], str(r["name"]))
                and ("outcome" not in entry or r["outcome"] == entry["outcome"])
                and str(r["releaser"]).startswith(entry.get("releaser_prefix", ""))]
        if len(good) < entry.get("min_count", 1):
            names = sorted({(str(r["track"]), str(r["name"])) for r in rows})[:20]
            failures.append(f"sync_slices[{i}] ({entry['name_regex']!r}): {len(good)} slices, "
                            f"expected at least {entry.get('min_count', 1)}\n  some: {names}")
    return failures
