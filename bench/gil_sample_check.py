"""Diagnostic: where does concurtrace's GIL error come from, raw samples or merging?

    .venv/bin/python bench/gil_sample_check.py [--python 3.12] [--workload PATH] [--hz 500]

Runs concurtrace's own TreeSampler (in this process, an interpreter of another
version than the target so the uprobes stay out of it) on a plain child running
the workload, under `perf record -a` of take_gil/drop_gil and the scheduler.
Then, for every raw sample, looks up the truth at the sample's timestamp:

- raw confusion: sample code (running / gil / lock / sleep ...) x truth (inside
  take/drop_gil: blocked / runnable / on CPU; outside: on CPU / runnable / blocked)
- per thread: GIL share from the raw samples (fraction of samples), from
  concurtrace's merge (merge_samples on the same samples), and the truth over the
  sampled span. If the raw fraction is right and the merge is not, the merge is
  at fault; if the raw fraction is already off, the observation is.

Prints a report and writes bench/results/gil_sample_check.json.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import gil_truth as gt  # noqa: E402
from gil_accuracy import SCENARIOS, find_pythons  # noqa: E402


def sample_child(target: list[str], hz: float, out: str) -> None:
    """Child mode: sample our own descendants with concurtrace's sampler, dump raw samples."""
    from concurtrace.model.states import state_totals
    from concurtrace.model.vocabulary import STATE_KEYS
    from concurtrace.sampler.result import merge_thread, resolve_codes
    from concurtrace.sampler.syscalls import FUTEX
    from concurtrace.sampler.tree import TreeSampler

    sampler = TreeSampler(os.getpid(), hz=hz, states=True)
    sampler.start()
    time.sleep(0.1)
    child = subprocess.Popen(target)
    child.wait()
    time.sleep(0.05)
    sampler.stop()
    dump = {"child": child.pid, "threads": {}}
    for pid, proc in sampler._tracker.procs.items():
        if pid != child.pid:
            continue
        for tid, th in proc.threads.items():
            smp = th.samples
            codes = resolve_codes(smp, proc.ranges, proc.info.python, False)
            runs = merge_thread(smp, codes, gil=proc.info.python).runs
            dump["threads"][tid] = {
                "ts": list(smp.ts), "code": [STATE_KEYS[c] for c in codes],
                "raw_futex": [int(smp.code[i] == FUTEX) for i in range(len(smp))],
                "exiting": sorted(smp.exiting),
                "on": list(smp.on), "rq": list(smp.rq), "slices": list(smp.slices),
                "runs": [(r.ts, r.ts + r.dur, r.state) for r in runs],
                "totals": state_totals(runs), "ranges": proc.ranges,
            }
    Path(out).write_text(json.dumps(dump))


def truth_label(ts: int, gil: list[gt.Interval], sched: list[gt.Segment]) -> str:
    inside = any(a <= ts < b for a, b in gil)
    where = next((s for a, b, s in sched if a <= ts < b), "?")
    return ("in-gil:" if inside else "out:") + where


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--python", default="3.12")
    ap.add_argument("--workload", default=str(SCENARIOS["gil_cpu_threads"]))
    ap.add_argument("--hz", type=float, default=500.0)
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--recorder", choices=("ftrace", "perf"), default="ftrace")
    ap.add_argument("--out", default=str(HERE / "results" / "gil_sample_check.json"))
    ap.add_argument("--raw", default=None,
                    help="also write every thread's raw samples and its truth here (for replaying "
                         "the merge offline: bench/replay_merge.py)")
    ap.add_argument("--_child", nargs=argparse.REMAINDER)
    args = ap.parse_args()
    if args._child:
        out, hz, *target = args._child
        sample_child(target, float(hz), out)
        return 0
    found = find_pythons()
    target_py = found[args.python]
    me = next(py for v, py in sorted(found.items()) if v != args.python)
    gt.ensure_tracefs()
    gt.install_cleanup()
    probes = gt.Probes(gt.interpreter_info(target_py))
    probes.add()
    recorder = gt.FtraceRecorder(probes) if args.recorder == "ftrace" else None
    lost = 0
    confusion: Counter[tuple[str, str]] = Counter()
    exiting: Counter[str] = Counter()  # truth at samples the kernel stack flagged
    rows = []
    raw_dump: list[dict[str, object]] = []
    try:
        for rep in range(args.repeat):
            work = tempfile.mkdtemp(prefix="gil_check-")
            data, dump = os.path.join(work, "perf.data"), os.path.join(work, "samples.json")
            cmd = [me, __file__, "--_child", dump, str(args.hz), target_py, args.workload]
            if recorder is not None:
                recorder.run(cmd, timeout=300)
            else:
                subprocess.run(gt.perf_record_cmd(data, probes, cmd), check=True,
                               stdout=subprocess.DEVNULL)
            raw = json.loads(Path(dump).read_text())
            tids = {int(t) for t in raw["threads"]}
            if recorder is not None:
                truth = recorder.read(tids)
            else:
                truth = gt.parse_perf_script(data, tids, probes.group)
            shutil.rmtree(work, ignore_errors=True)
            lost += truth.lost
            for tid_s, th in raw["threads"].items():
                tid = int(tid_s)
                if len(th["ts"]) < 20:
                    continue
                gil = gt.merge(truth.take.get(tid, []) + truth.drop.get(tid, []))
                sched = truth.sched.get(tid, [])
                lo, hi = th["ts"][0], th["ts"][-1]
                span = hi - lo
                labels = [truth_label(ts, gil, sched) for ts in th["ts"]]
                if args.raw:
                    raw_dump.append({"rep": rep, "tid": tid, "samples": th, "gil": gil,
                                     "sched": sched})
                for code, lab in zip(th["code"], labels, strict=True):
                    confusion[(code, lab)] += 1
                for i in th["exiting"]:
                    exiting[labels[i]] += 1
                n = len(th["ts"])
                raw_gil = sum(c == "gil" for c in th["code"]) / n
                truth_at_samples = sum(lab.startswith("in-gil") for lab in labels) / n
                merged = th["totals"]["gil"] / max(1, sum(th["totals"].values()))
                true_span = gt.total(gt.clip(gil, lo, hi)) / span
                in_gil_blocked = sum(lab == "in-gil:blocked" for lab in labels) / n
                # active time (on CPU or runnable) over the span: truth vs concurtrace's merge
                segs = gt.overlap_by_label([(lo, hi)], sched)
                true_active = (segs.get("oncpu", 0) + segs.get("runnable", 0)) / span
                tot = th["totals"]
                merged_active = (tot["running"] + tot["runqueue"]) / max(1, sum(tot.values()))
                raw_active = sum(c == "running" for c in th["code"]) / n
                rows.append({"rep": rep, "tid": tid, "n": n, "raw_gil": raw_gil,
                             "truth_at_samples": truth_at_samples,
                             "truth_blocked_at_samples": in_gil_blocked,
                             "merged_gil": merged, "truth_span": true_span,
                             "true_active": true_active, "merged_active": merged_active,
                             "raw_active": raw_active,
                             "span_ms": span / 1e6})
    finally:
        if recorder is not None:
            recorder.close()
        probes.remove()
    print(f"target {args.python}, workload {args.workload}, {args.hz:g} Hz, sampler in {me}, "
          f"recorder {args.recorder} (lost events: {lost})")
    print("\nraw sample code x truth at the sample's timestamp (counts):")
    codes = sorted({c for c, _ in confusion})
    labs = sorted({lab for _, lab in confusion})
    print("code".ljust(10) + "".join(lab.rjust(18) for lab in labs))
    for c in codes:
        print(c.ljust(10) + "".join(str(confusion[(c, lab)]).rjust(18) for lab in labs))
    print("\nsamples whose kernel stack showed a preemption at a syscall exit, by truth:",
          dict(exiting.most_common()) or "none (not root, or CONCURTRACE_KERNEL_STACKS=0)")
    print("\nper thread, GIL share over the sampled span (%):")
    print("  tid      n  raw-samples  truth@samples  truth-blocked@samples  merged  truth(time)"
          "   | active: raw  merged  truth(time)")
    for r in rows:
        print(f"  {r['tid']:<7} {r['n']:>4}  {100 * r['raw_gil']:10.1f}  "
              f"{100 * r['truth_at_samples']:12.1f}"
              f"  {100 * r['truth_blocked_at_samples']:20.1f}  {100 * r['merged_gil']:6.1f}"
              f"  {100 * r['truth_span']:10.1f}   |      {100 * r['raw_active']:5.1f}"
              f"  {100 * r['merged_active']:6.1f}  {100 * r['true_active']:10.1f}")
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"python": args.python, "workload": args.workload, "hz": args.hz,
                               "confusion": [[c, lab, n] for (c, lab), n in confusion.items()],
                               "kernel_stack_exit": dict(exiting),
                               "threads": rows}, indent=1))
    print(f"\nwrote {out}")
    if args.raw:
        Path(args.raw).write_text(json.dumps(raw_dump))
        print(f"wrote {args.raw}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
