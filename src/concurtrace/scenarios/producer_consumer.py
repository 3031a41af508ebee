"""Producer/consumer: queue.Queue between threads, multiprocessing.Queue between processes.

What it demonstrates: the two queue flavours. queue.Queue hands objects
between threads of one process (a lock and a condition underneath);
multiprocessing.Queue pickles them through a pipe between processes, and the
producing process gets a hidden "QueueFeederThread" that does the writing.

What to look for in the timeline:
- MainProcess: "producer-thread" puts 10 items 20 ms apart; "consumer-thread"
  spends most of its time "waiting for lock" inside get().
- MainProcess -> "producer-process" (with its "QueueFeederThread") and
  "consumer-process", whose MainThread is mostly in "I/O" (a blocking read of
  the queue's pipe).
- The "None" sentinel ending each consumer.
"""

import multiprocessing
import queue
import threading
import time
from typing import Any

EXPECT = {
    "exit_code": 0,
    "processes": [
        {"name": "MainProcess", "parent": None, "exit_code": 0},
        {"name": "producer-process", "parent": "MainProcess", "exit_code": 0},
        {"name": "consumer-process", "parent": "MainProcess", "exit_code": 0},
    ],
    "threads": [
        {"process": "MainProcess", "name": "producer-thread", "min_s": 0.15, "max_s": 2.0},
        {"process": "MainProcess", "name": "consumer-thread", "min_s": 0.15, "max_s": 2.0},
        {"process": "producer-process", "name": "QueueFeederThread", "daemon": True},
    ],
    "states": [
        {"process": "MainProcess", "thread": "consumer-thread", "state": "lock",
         "min_share": 0.4},
        {"process": "consumer-process", "thread": "MainThread", "state": "io",
         "min_share": 0.3},
    ],
}

ITEMS = 10


def produce(q: Any, who: str) -> None:
    for i in range(ITEMS):
        time.sleep(0.02)
        q.put(f"{who} item {i}")
    q.put(None)


def consume(q: Any, who: str) -> None:
    got = 0
    while q.get() is not None:
        got += 1
    print(f"{who}: consumed {got} items, then the None sentinel", flush=True)


def main() -> None:
    tq: queue.Queue[str | None] = queue.Queue()
    threads = [
        threading.Thread(target=produce, args=(tq, "thread"), name="producer-thread"),
        threading.Thread(target=consume, args=(tq, "consumer-thread"), name="consumer-thread"),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    mq: multiprocessing.Queue[str | None] = multiprocessing.Queue()
    procs = [
        multiprocessing.Process(target=produce, args=(mq, "process"), name="producer-process"),
        multiprocessing.Process(
            target=consume, args=(mq, "consumer-process"), name="consumer-process"
        ),
    ]
    for p in procs:
        p.start()
    for p in procs:
        p.join()


if __name__ == "__main__":
    main()
