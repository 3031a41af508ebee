"""trio's thread cache: a Lock its worker holds itself, released by the thread that hands
it a job (trio/_core/_thread_cache.py). The worker's wait is for its next job, not for a
holder to let go."""
import threading
import time

handoff = threading.Lock()
handoff.acquire()  # no job yet
jobs: list[float] = []


def work() -> None:
    while handoff.acquire(timeout=10):  # a job was handed over
        time.sleep(jobs.pop())


worker = threading.Thread(target=work, name="cache worker", daemon=True)
worker.start()
jobs.append(0.05)
handoff.release()
time.sleep(0.4)
print("idle worker left")
