"""A worker whose own exit is slow (an object's __del__ at interpreter teardown takes 0.4 s)
and a parent that waits 0.15 s for it, then kills it: killed with or without concurtrace.
concurtrace's save of its few calls is short: the kill is not the save's doing."""

import subprocess
import sys

WORKER = """
import time
class Slow:
    def __del__(self):
        time.sleep(0.4)  # e.g. a client closing its connections at exit
keep = Slow()
print("done", flush=True)
"""

worker = subprocess.Popen([sys.executable, "-c", WORKER], stdout=subprocess.PIPE, text=True)
print(worker.stdout.readline().strip())
try:
    worker.wait(timeout=0.15)
    print("worker exited", worker.returncode)
except subprocess.TimeoutExpired:
    worker.kill()
    print("worker killed", worker.wait())
