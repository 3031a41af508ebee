#!/bin/bash
# callgrind instruction counts: the concurtrace process alone (--trace-children=no), and the traced child alone
P=/work/wt-startup4/.venv/bin/python
cg(){ valgrind --tool=callgrind --callgrind-out-file=/dev/null "$@" 2>&1 | grep -o "Collected : [0-9]*" | tail -1 | grep -o "[0-9]*"; }
cd /tmp/s4c
echo "load: $(uptime)"
for i in 1 2; do
for tree in now before; do
  if [ $tree = now ]; then PP=/work/wt-startup4/src; S=/tmp/s4c/sess; else PP=/tmp/startup4-before/src; S=/tmp/s4c/bsess; fi
  echo "$tree --version $(PYTHONPATH=$PP cg $P -m concurtrace --version)"
  echo "$tree --help $(PYTHONPATH=$PP cg $P -m concurtrace --help)"
  echo "$tree run --light -q -c pass $(PYTHONPATH=$PP cg $P -m concurtrace run --light -q -o /tmp/s4c/t.pftrace --force -c pass)"
  echo "$tree run -q -c pass $(PYTHONPATH=$PP cg $P -m concurtrace run -q -o /tmp/s4c/t.pftrace --force -c pass)"
  echo "$tree traced child (light) -c pass $(CONCURTRACE_SESSION=$S PYTHONPATH=$S/site cg $P -c pass)"
done
done
echo "python -c pass $(cg $P -c pass)"
echo "python -c 'import typer' $(cg $P -c 'import typer')"
echo "viztracer -c pass $(cg /work/wt-startup4/.venv/bin/viztracer -q -c pass)"
echo "load: $(uptime)"
