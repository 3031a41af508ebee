"""Diagnostic: replay concurtrace's merge on raw samples dumped by
`gil_sample_check.py --raw FILE` and compare every merged state run with the truth.

    .venv/bin/python bench/replay_merge.py FILE [FILE ...] [--min-gil 0.5]

Per thread (threads whose true GIL share is at least --min-gil of the span are
marked): the GIL share of the merge over the sampled span against the truth (time
inside take_gil/drop_gil), and what the truth was during the time the merge called
GIL (in GIL / outside: blocked, runnable, on CPU). The merge is the one of the
installed concurtrace, so running this before and after a change of model/ shows
its effect on the same samples.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import gil_truth as gt  # noqa: E402

from concurtrace.model.states import merge_with_states  # noqa: E402


def replay(th: dict[str, list[int] | list[str]]) -> list[tuple[int, int, str]]:
    exiting = set(th["exiting"])  # type: ignore[arg-type]
    raw = [(ts, code, on, rq, sl, i in exiting) for i, (ts, code, on, rq, sl) in
           enumerate(zip(th["ts"], th["code"], th["on"], th["rq"], th["slices"], strict=True))]
    return [(r.ts, r.ts + r.dur, r.state) for r in merge_with_states(raw).runs]  # type: ignore[arg-type]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("files", nargs="+")
    args = ap.parse_args()
    errs: list[float] = []
    said_all: Counter[str] = Counter()
    for f in args.files:
        for rec in json.loads(Path(f).read_text()):
            th = rec["samples"]
            gil = [tuple(iv) for iv in rec["gil"]]
            sched = [tuple(s) for s in rec["sched"]]
            lo, hi = th["ts"][0], th["ts"][-1]
            runs = replay(th)
            span = hi - lo
            true = gt.total(gt.clip(gil, lo, hi)) / span
            ct_gil = [(a, b) for a, b, s in runs if s == "gil"]
            merged = gt.total(ct_gil) / span
            inside = gt.total(gt.merge([(max(a, c), min(b, d)) for a, b in ct_gil
                                        for c, d in gil if min(b, d) > max(a, c)])) / span
            outside = gt.overlap_by_label(_subtract(ct_gil, gil), sched)
            missed = gt.overlap_by_label(_subtract(gil, ct_gil), [(a, b, s) for a, b, s in runs])
            err = 100 * (merged - true)
            errs.append(err)
            out_s = ", ".join(f"{k} {100 * v / span:.1f}" for k, v in sorted(outside.items()) if v)
            miss_s = ", ".join(f"{k} {100 * v / span:.1f}" for k, v in sorted(missed.items()) if v)
            print(f"{f.split('/')[-1]} rep {rec['rep']} tid {rec['tid']}: truth {100 * true:5.1f} "
                  f"merged {100 * merged:5.1f} ({err:+5.1f} pp); agree {100 * inside:5.1f}; "
                  f"GIL outside truth: {out_s or '-'}; truth GIL called: {miss_s or '-'}")
            for k, v in outside.items():
                said_all[k] += v
    print(f"mean abs {sum(map(abs, errs)) / len(errs):.2f} pp, worst {max(errs, key=abs):+.2f}")
    return 0


def _subtract(a: list[gt.Interval], b: list[gt.Interval]) -> list[gt.Interval]:
    out: list[gt.Interval] = []
    for s, e in a:
        cur = s
        for bs, be in b:
            if be <= cur or bs >= e:
                continue
            if bs > cur:
                out.append((cur, bs))
            cur = max(cur, be)
        if cur < e:
            out.append((cur, e))
    return out


if __name__ == "__main__":
    sys.exit(main())
