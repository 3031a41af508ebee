"""uvicorn --workers' shape: a worker with its own wakeup fd (uvloop sets one) handles the
SIGTERM sent to the whole process group, shuts down, then raises it at itself; the
supervisor handles it too and waits for the worker. Prints 'ready' once the worker is."""
import signal
import subprocess
import sys

WORKER = """
import os, signal, sys, time
read, write = os.pipe()
os.set_blocking(write, False)
signal.set_wakeup_fd(write)  # as uvloop does: the watchdog no longer sees deliveries
got = []
signal.signal(signal.SIGTERM, lambda signum, frame: got.append(signum))
print("ready", flush=True)
while not got:
    time.sleep(0.01)
time.sleep(0.2)  # its graceful shutdown
signal.signal(signal.SIGTERM, signal.SIG_DFL)
signal.raise_signal(signal.SIGTERM)
"""

signal.signal(signal.SIGTERM, lambda signum, frame: None)
worker = subprocess.Popen([sys.executable, "-c", WORKER], stdout=subprocess.PIPE, text=True)
assert worker.stdout is not None
print(worker.stdout.readline(), end="", flush=True)
print("worker", worker.wait(), flush=True)
