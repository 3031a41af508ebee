"""What pytest-xdist (execnet) and pools do at shutdown: a worker reports it is done and
exits; the parent waits a bounded moment for it and kills it if it is still there. The
worker made many calls, so in full mode concurtrace's exit save takes longer than that."""

import subprocess
import sys

WORKER = """
def step(n):
    return n + 1
total = 0
for n in range(1_000_000):  # fills the ring buffer (1M entries): the longest save
    total = step(total)
print("done", total, flush=True)
"""

patience = float(sys.argv[1]) if len(sys.argv) > 1 else 0.25
worker = subprocess.Popen([sys.executable, "-c", WORKER], stdout=subprocess.PIPE, text=True)
print(worker.stdout.readline().strip())
try:
    worker.wait(timeout=patience)  # plain: it is gone within milliseconds
    print("worker exited", worker.returncode)
except subprocess.TimeoutExpired:
    worker.kill()
    print("worker killed", worker.wait())
