"""Counts the SIGINTs and SIGTERMs delivered to it: one signal sent to it (alone, or to its
process group) must arrive once. CPython's C handler writes one byte to the wakeup fd per
delivery, even when the Python handler then runs once for two. Prints 'ready', then the
deliveries 0.5 s after the first."""
import os
import signal
import time

read, write = os.pipe()
os.set_blocking(read, False)
os.set_blocking(write, False)
signal.set_wakeup_fd(write)
got: list[int] = []
signal.signal(signal.SIGINT, lambda signum, frame: got.append(signum))
signal.signal(signal.SIGTERM, lambda signum, frame: got.append(signum))
print("ready", flush=True)
deadline = time.monotonic() + 20
while not got and time.monotonic() < deadline:
    pass  # on a CPU: each delivery is taken at once, none merges with the next
time.sleep(0.5)
print("got", sorted(os.read(read, 64)), flush=True)
