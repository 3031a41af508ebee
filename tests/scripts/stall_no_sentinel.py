"""Two workers loop on q.get() and the main module returns without putting a sentinel
for each: the interpreter waits at exit for threads that wait for an item no thread is
left to put (tests/test_stall.py)."""

import queue
import threading

q: "queue.Queue[int]" = queue.Queue()


def work() -> None:
    while True:
        q.get()


for n in range(2):
    threading.Thread(target=work, name=f"worker-{n}").start()
for i in range(4):
    q.put(i)
print("main done", flush=True)
