"""Long waits that are no deadlock: a consumer waits 6 s for an item a sleeping producer
puts; a gatekeeper waits as long for an RLock the producer holds while it sleeps;
MainThread joins them all. Every thread but the producer waits longer than 5 s."""

import queue
import threading
import time

JOBS: "queue.Queue[int]" = queue.Queue()
GATE = threading.RLock()
holding = threading.Event()


def producer() -> None:
    with GATE:
        holding.set()
        time.sleep(6)
        JOBS.put(1)


def consumer() -> None:
    print("got", JOBS.get(), flush=True)


def gatekeeper() -> None:
    holding.wait()
    with GATE:
        pass


threads = [threading.Thread(target=f, name=f.__name__) for f in (producer, consumer, gatekeeper)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print("done", flush=True)
