"""Lock, condition, event, semaphore, queue and join behave the same with and without
concurtrace: each check prints one line; the test compares the output of both runs."""

import copy
import os
import pickle
import queue
import re
import sys
import threading
import time
import weakref


def check(name, fn):
    try:
        print(name, repr(fn()))
    except BaseException as error:  # noqa: BLE001 - the exception is the behaviour
        text = re.sub(r" at 0x[0-9a-f]+", "", str(error))  # a Future's repr in the message
        print(name, "raises", type(error).__name__, text.replace(hex(id(error)), ""))


def held_elsewhere(lock, seconds):
    def hold():
        with lock:
            time.sleep(seconds)
    t = threading.Thread(target=hold)
    t.start()
    time.sleep(0.02)
    return t


lock, rlock = threading.Lock(), threading.RLock()
check("lock acquire", lambda: (lock.acquire(), lock.locked(), lock.release(), lock.locked()))
check("lock nonblocking timeout", lambda: lock.acquire(False, 1))
check("lock negative timeout", lambda: lock.acquire(True, -5))
check("lock huge timeout", lambda: lock.acquire(True, 1e300))
check("lock str timeout", lambda: lock.acquire(True, "1"))
check("lock release unlocked", lambda: lock.release())
check("lock kw", lambda: (lock.acquire(blocking=True, timeout=0.5), lock.release()))
check("lock with", lambda: [lock.__enter__(), lock.__exit__(None, None, None), lock.locked()])
check("lock pickle", lambda: pickle.dumps(lock))
check("lock copy", lambda: copy.copy(lock))
check("lock weakref", lambda: weakref.ref(lock)() is lock)
check("lock aliases", lambda: (lock.acquire_lock(), lock.locked_lock(), lock.release_lock()))
check("lock fork reinit", lambda: (lock.acquire(), lock._at_fork_reinit(), lock.locked()))
check("rlock reentrant", lambda: (rlock.acquire(), rlock.acquire(), rlock.release(),
                                  rlock._is_owned(), rlock.release(), rlock._is_owned()))
check("rlock release unowned", lambda: rlock.release())
check("rlock has locked", lambda: hasattr(rlock, "locked"))
check("rlock has acquire_lock", lambda: hasattr(rlock, "acquire_lock"))
check("lock has release_save", lambda: hasattr(lock, "_release_save"))
if sys.version_info >= (3, 13):
    check("isinstance Lock", lambda: isinstance(threading.Lock(), threading.Lock))
else:
    check("isinstance Lock", lambda: isinstance(threading.Lock(), type(threading.Lock())))
check("lock timeout while held", lambda: (lambda t: (lock.acquire(timeout=0.05), t.join()))(
    held_elsewhere(lock, 0.3)))
check("lock zero timeout while held", lambda: (lambda t: (lock.acquire(timeout=0), t.join()))(
    held_elsewhere(lock, 0.1)))
check("lock wait then get", lambda: (lambda t: (lock.acquire(), lock.release(), t.join()))(
    held_elsewhere(lock, 0.05)))
check("rlock wait then get", lambda: (lambda t: (rlock.acquire(timeout=2), rlock.release(),
                                                 t.join()))(held_elsewhere(rlock, 0.05)))

cond = threading.Condition()
check("condition wait timeout", lambda: (cond.acquire(), cond.wait(0.02), cond.release()))
check("condition unowned wait", lambda: cond.wait(0.01))
check("condition unowned notify", lambda: cond.notify())
box = []


def consumer():
    with cond:
        box.append(cond.wait_for(lambda: len(box) > 0 and box[0] == "x", timeout=2))


t = threading.Thread(target=consumer)
t.start()
time.sleep(0.05)
with cond:
    box.insert(0, "x")
    cond.notify_all()
t.join()
check("condition handoff", lambda: box)
lcond = threading.Condition(threading.Lock())
check("condition on Lock", lambda: (lcond.acquire(), lcond.wait(0.01), lcond._is_owned(),
                                    lcond.release(), lcond._is_owned()))

event = threading.Event()
check("event wait timeout", lambda: event.wait(0.02))
threading.Timer(0.03, event.set).start()
check("event wait set", lambda: event.wait(2))
check("event is set", lambda: event.is_set())

sem = threading.BoundedSemaphore(1)
check("sem acquire", lambda: (sem.acquire(), sem.acquire(timeout=0.02), sem.release()))
check("sem over release", lambda: sem.release())
check("sem nonblocking timeout", lambda: sem.acquire(False, 1))
check("sem zero timeout", lambda: (sem.acquire(), sem.acquire(timeout=0), sem.release()))
threading.Timer(0.03, sem.release).start()
check("sem wait release", lambda: (sem.acquire(), sem.acquire(timeout=2), sem.release()))

q = queue.Queue(maxsize=1)
check("queue get empty", lambda: q.get(timeout=0.02))
check("queue get nowait", lambda: q.get_nowait())
check("queue put", lambda: q.put(1))
check("queue put full", lambda: q.put(2, timeout=0.02))
check("queue put nowait", lambda: q.put_nowait(2))
check("queue get", lambda: q.get())
threading.Timer(0.03, q.put, args=("late",)).start()
check("queue get waits", lambda: q.get(timeout=2))
check("queue get negative", lambda: q.get(timeout=-1))
check("priority queue", lambda: (lambda p: (p.put(3), p.put(1), p.get(), p.get()))(
    queue.PriorityQueue()))

worker = threading.Thread(target=time.sleep, args=(0.1,))
check("join unstarted", lambda: worker.join())
worker.start()
check("join timeout", lambda: (worker.join(0.01), worker.is_alive()))
check("join", lambda: (worker.join(), worker.is_alive()))
check("join self", lambda: threading.current_thread().join())
check("join negative", lambda: worker.join(-1))

barrier = threading.Barrier(2)
check("barrier timeout", lambda: barrier.wait(0.03))
check("barrier broken", lambda: (barrier.broken, barrier.wait()))
check("barrier reset", lambda: (barrier.reset(), barrier.broken, barrier.n_waiting))
passing = threading.Barrier(2)
threading.Timer(0.05, passing.wait).start()
check("barrier pass", lambda: passing.wait(2))
check("barrier zero parties", lambda: repr(threading.Barrier(0)).split(" at ")[0])
check("barrier repr", lambda: repr(threading.Barrier(3)).split(" at ")[0])
aborted = threading.Barrier(3)
threading.Timer(0.05, aborted.abort).start()
check("barrier aborted", lambda: aborted.wait(2))
failing = threading.Barrier(2, action=lambda: 1 / 0)
last: list = []


def last_arrival():
    try:
        failing.wait()
    except BaseException as error:  # noqa: BLE001 - the exception is the behaviour
        last.append(type(error).__name__)


late = threading.Timer(0.03, last_arrival)
late.start()
check("barrier action other", lambda: failing.wait(2))
late.join()
check("barrier action last", lambda: last)
reset_me = threading.Barrier(2)
threading.Timer(0.05, reset_me.reset).start()
check("barrier reset while waiting", lambda: reset_me.wait(2))

simple = queue.SimpleQueue()
check("simple queue type", lambda: (isinstance(simple, queue.SimpleQueue), type(simple).__name__,
                                    repr(simple).split(" at ")[0]))
check("simple queue empty", lambda: simple.get(timeout=0.02))
check("simple queue nowait", lambda: simple.get_nowait())
check("simple queue negative", lambda: simple.get(timeout=-1))
check("simple queue args", lambda: queue.SimpleQueue(1))
check("simple queue kwargs", lambda: queue.SimpleQueue(maxsize=1))


class NamedQueue(queue.SimpleQueue):
    def __init__(self, name):
        super().__init__()
        self.name = name


class PlainSubQueue(queue.SimpleQueue):
    pass


check("simple queue subclass", lambda: (NamedQueue("jobs").name, PlainSubQueue().qsize()))
check("simple queue subclass args", lambda: PlainSubQueue(1).qsize())
check("simple queue subclass pickle", lambda: pickle.dumps(NamedQueue("x")))
check("simple queue put nowait", lambda: (simple.put_nowait(1), simple.put(2, timeout=5),
                                          simple.qsize(), simple.get(), simple.get(False)))
check("simple queue pickle", lambda: pickle.dumps(simple))
check("simple queue generic", lambda: repr(queue.SimpleQueue[int]))
threading.Timer(0.03, simple.put, args=("late",)).start()
check("simple queue get waits", lambda: simple.get(timeout=2))

import concurrent.futures as cf  # noqa: E402 - after the hooks' lazy install point

with cf.ThreadPoolExecutor(2) as pool:
    slow = pool.submit(time.sleep, 0.05)
    check("future result waits", lambda: slow.result(timeout=2))
    bad = pool.submit(lambda: 1 / 0)
    check("future exception", lambda: bad.result())
    check("future exception()", lambda: type(bad.exception(2)).__name__)
    sleepy = pool.submit(time.sleep, 0.3)
    check("future timeout", lambda: sleepy.result(timeout=0.03))
    check("future zero timeout", lambda: sleepy.exception(timeout=0))
    check("future negative timeout", lambda: sleepy.result(timeout=-1))
    queued = [pool.submit(time.sleep, 0.05) for _ in range(3)]
    check("future cancel", lambda: queued[-1].cancel())
    check("future cancelled result", lambda: queued[-1].result())
    check("wait all", lambda: sorted(len(s) for s in cf.wait(queued[:2], timeout=2)))
    more = [pool.submit(time.sleep, d) for d in (0.02, 0.3)]
    check("wait first", lambda: [len(s) for s in cf.wait(more, return_when=cf.FIRST_COMPLETED)])
    check("wait timeout", lambda: [len(s) for s in cf.wait(more, timeout=0.01)])
    check("wait bad when", lambda: cf.wait([pool.submit(time.sleep, 0.05)], return_when="x"))
    check("as_completed", lambda: sorted(f.result() for f in cf.as_completed(
        [pool.submit(lambda d=d: time.sleep(d) or d) for d in (0.06, 0.02)])))
    check("as_completed timeout", lambda: list(cf.as_completed([pool.submit(time.sleep, 0.3)],
                                                                timeout=0.02)))
    check("set twice", lambda: (lambda f: (f.set_result(1), f.set_result(2)))(cf.Future()))
    check("future repr", lambda: repr(pool.submit(int)).split(" at ")[0])

if hasattr(os, "fork"):
    shared = threading.Lock()
    shared.acquire()
    pid = os.fork()
    if pid == 0:
        ok = shared.acquire(timeout=0.05)
        os._exit(10 if ok else 20)
    shared.release()
    check("fork child sees held lock", lambda: os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]))
print("done")
