"""What CPython's own test suite does with threading and queue (test_queue, test_threading):
a fresh copy of queue without its C accelerator (test.support's import_fresh_module), and
threads started while another thread keeps the GIL busy (Thread.start waits for them);
type(threading.Lock())() (test_threading's test_disallow_instantiation); the lock inside a
Semaphore and logging's module lock, contended."""

import importlib.util
import logging
import queue
import sys
import threading
import time


def fresh_queue_module():  # import_fresh_module("queue", blocked=["_queue"]), without test
    saved = sys.modules.get("_queue")
    sys.modules["_queue"] = None  # type: ignore[assignment]
    try:
        spec = importlib.util.spec_from_file_location("py_queue", queue.__file__)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        if saved is not None:
            sys.modules["_queue"] = saved
    return module


py_queue = fresh_queue_module()
jobs = py_queue.Queue()
simple = py_queue._PySimpleQueue()
stop = False


def spin() -> None:
    while not stop:
        pass


def consumer() -> None:
    simple.get()
    jobs.get()


sys.setswitchinterval(0.02)  # a new thread waits up to 20 ms for the spinner's GIL
spinner = threading.Thread(target=spin)
spinner.start()
consumers = [threading.Thread(target=consumer) for _ in range(4)]
for thread in consumers:
    thread.start()  # its wait for the thread to start is threading's own, not the program's
for wanted in (simple, jobs):
    time.sleep(0.1)
    for _ in consumers:
        wanted.put(1)
for thread in consumers:
    thread.join()
stop = True
spinner.join()
# The lock inside a Semaphore, contended (test_queue's SimpleQueue under 100 threads).
sem = threading.Semaphore(0)


def give() -> None:
    sem.release()  # as test_queue's put: nobody waits on the semaphore, its lock is busy


with sem._cond:
    giver = threading.Thread(target=give)
    giver.start()
    time.sleep(0.05)
giver.join()
sem.acquire()

# logging's module lock, made in logging/__init__.py, contended.
with logging._lock:
    getter = threading.Thread(target=logging.getLogger, args=("x",))
    getter.start()
    time.sleep(0.05)
getter.join()

# test_threading's test_disallow_instantiation: type(lock)() as the C type answers it
for made in (threading.Lock(), threading.RLock()):
    try:
        again = type(made)()
        print(type(made), "makes", type(again), again.acquire(), again.acquire(False))
    except TypeError as error:
        print(type(made), "refuses:", error)
print("done")
