"""A deadlock in a tree: two non-daemon threads block on each other's lock, a child sleeps."""

import subprocess
import sys
import threading

a, b = threading.Lock(), threading.Lock()
a.acquire()
b.acquire()


def take_a() -> None:
    with a:
        pass


def take_b() -> None:
    with b:
        pass


child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
threading.Thread(target=take_a, name="wants-a").start()
threading.Thread(target=take_b, name="wants-b").start()
print("deadlocked", flush=True)
threading.Event().wait()
