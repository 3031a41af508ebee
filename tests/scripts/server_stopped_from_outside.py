"""A server stopped as gunicorn's master is: a SIGTERM from a shell (outside the traced
tree) reaches the master, which handles it, stops its worker with os.kill and exits 0."""

import os
import signal
import subprocess
import sys
import time

WORKER = ("import signal, sys, time\n"
          "signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))\n"
          "print('worker ready', flush=True)\n"
          "time.sleep(30)\n")

stop = []
signal.signal(signal.SIGTERM, lambda *a: stop.append(1))
worker = subprocess.Popen([sys.executable, "-c", WORKER], stdout=subprocess.PIPE, text=True)
worker.stdout.readline()
print("serving", os.getpid(), flush=True)
while not stop:
    time.sleep(0.01)
os.kill(worker.pid, signal.SIGTERM)
print("worker exited", worker.wait(), flush=True)
