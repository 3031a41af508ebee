"""Compare gil_accuracy.py results of two code versions run in interleaved rounds.

    .venv/bin/python bench/gil_pairs.py 'bench/results/pair_sn_before_*.json' \\
        'bench/results/pair_sn_after_*.json'

Per scenario and thread group: thread-runs, mean signed error (bias), median and worst
absolute error against truth A (time inside take_gil/drop_gil), for each side; and the
median of the per-round mean absolute errors (rounds pair a before and an after file).
"""

from __future__ import annotations

import glob
import json
import statistics
import sys
from typing import Any

from gil_accuracy import _group


def rows(path: str) -> list[dict[str, Any]]:
    data = json.loads(open(path).read())
    out = []
    for rec in data["records"]:
        if "error" in rec:
            continue
        for th in rec["threads"]:
            out.append({**th, "scenario": rec["scenario"], "python": rec["python"],
                        "hz": rec["sampler"].get("hz_effective", 0.0)})
    return out


def main() -> int:
    sides = {"before": sorted(glob.glob(sys.argv[1])), "after": sorted(glob.glob(sys.argv[2]))}
    table: dict[tuple[str, str], dict[str, list[list[float]]]] = {}
    for side, files in sides.items():
        for f in files:
            per: dict[tuple[str, str], list[float]] = {}
            for r in rows(f):
                per.setdefault((r["scenario"], _group(r["name"])), []).append(r["err_pp"])
            for key, errs in per.items():
                table.setdefault(key, {"before": [], "after": []})[side].append(errs)
    print(f"rounds: before {len(sides['before'])}, after {len(sides['after'])}")
    print("| scenario | thread | side | n | bias | median abs | worst abs | "
          "median of round mean abs |")
    print("|---|---|---|---|---|---|---|---|")
    for (sc, g), by_side in sorted(table.items()):
        for side in ("before", "after"):
            rounds = by_side[side]
            errs = [e for r in rounds for e in r]
            if not errs:
                continue
            round_means = [statistics.fmean(abs(e) for e in r) for r in rounds]
            print(f"| {sc} | {g} | {side} | {len(errs)} | {statistics.fmean(errs):+.2f} | "
                  f"{statistics.median(abs(e) for e in errs):.2f} | "
                  f"{max(abs(e) for e in errs):.2f} | {statistics.median(round_means):.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
