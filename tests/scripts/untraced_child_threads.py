"""An untraced child (python -I ignores PYTHONPATH, as CPython's test.support runs its
helper scripts) whose threads end before it does: the sampler sees them, nothing tells
how they ended."""

import subprocess
import sys

CHILD = """
import threading, time
ts = [threading.Thread(target=time.sleep, args=(0.15,)) for _ in range(3)]
[t.start() for t in ts]
[t.join() for t in ts]
time.sleep(0.15)
print("child done")
"""

print(subprocess.run([sys.executable, "-I", "-c", CHILD], capture_output=True,
                     text=True).stdout, end="")
