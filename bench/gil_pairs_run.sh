#!/bin/bash
# Interleaved before/after GIL accuracy runs of the model's merge (bench/README.md,
# "Short naps next to CPU threads"). Per round: model/samples.py and model/states.py as
# of BEFORE, then as of HEAD, each side running the short_naps cell and one run of the
# matrix's workloads. Restores HEAD's files at the end. Compare with bench/gil_pairs.py.
#   bench/gil_pairs_run.sh BEFORE_COMMIT [FIRST_ROUND] [LAST_ROUND]
set -u
cd "$(dirname "$0")/.."
before=$1; first=${2:-1}; last=${3:-3}
files="src/concurtrace/model/samples.py src/concurtrace/model/states.py"
trap 'git checkout HEAD -- $files' EXIT
for round in $(seq "$first" "$last"); do
  for side in before after; do
    if [ "$side" = before ]; then
      for f in $files; do git show "$before:$f" > "$f"; done
    else
      git checkout HEAD -- $files
    fi
    .venv/bin/python bench/gil_accuracy.py --runs 2 --pythons 3.11,3.13 --modes light \
      --scenarios short_naps --out "bench/results/pair_sn_${side}_${round}.json"
    .venv/bin/python bench/gil_accuracy.py --runs 1 --pythons 3.11,3.13 --modes light \
      --scenarios gil_cpu_threads,gil_convoy,gil_release_c,lock_contention,mixed_states \
      --out "bench/results/pair_mx_${side}_${round}.json"
  done
done
