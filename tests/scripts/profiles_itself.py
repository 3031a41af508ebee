"""A program that profiles part of itself with cProfile (enable ... disable), then runs a
thread: one profiler runs at a time."""

import cProfile
import threading


def f() -> int:
    return sum(range(10000))


def other() -> None:
    for _ in range(3):
        f()


profiler = cProfile.Profile()
profiler.enable()
for _ in range(5):
    f()
profiler.disable()
worker = threading.Thread(target=other, name="other")
worker.start()
worker.join()
print("profiled", profiler.getstats()[0].callcount >= 1)
