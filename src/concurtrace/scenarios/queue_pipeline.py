"""A three-stage pipeline on queue.Queue whose middle stage is slow.

What it demonstrates: where a pipeline waits. "reader" produces 20 records
(5 ms each) into a bounded queue (maxsize 3); "parser" takes 30 ms per record
and passes it on; "writer" saves each one. The reader soon blocks in put() on
the full queue, and the writer blocks in get() on the empty one: both wait for
the parser, the bottleneck.

What to look for in the timeline:
- "reader sync": "waiting for room in Queue@queue_pipeline.py:36 (RAW)", each
  ended by the parser's get; "writer sync": "waiting for an item from
  Queue@queue_pipeline.py:37 (PARSED)", each ended by the parser's put.
- The Synchronization section: both queues, both waited on for most of the run.
- The queue_bottleneck finding: the reader blocked in put() on the full RAW queue,
  whose consumer, the parser, takes items out slower than they come.
"""

import queue
import threading
import time

EXPECT = {
    "exit_code": 0,
    "processes": [{"name": "MainProcess", "parent": None, "exit_code": 0}],
    "threads": [
        {"process": "MainProcess", "name": "reader", "min_s": 0.3, "max_s": 3.0},
        {"process": "MainProcess", "name": "parser", "min_s": 0.5, "max_s": 3.0},
        {"process": "MainProcess", "name": "writer", "min_s": 0.5, "max_s": 3.0},
    ],
    "findings": ["queue_bottleneck"],
    "no_findings": ["deadlock"],
}

RECORDS = 20
DONE = None
RAW: "queue.Queue[int | None]" = queue.Queue(maxsize=3)
PARSED: "queue.Queue[str | None]" = queue.Queue()


def reader() -> None:
    for n in range(RECORDS):
        time.sleep(0.005)
        RAW.put(n)
    RAW.put(DONE)


def parser() -> None:
    while (item := RAW.get()) is not DONE:
        time.sleep(0.03)  # the slow stage
        PARSED.put(f"record {item}")
    PARSED.put(DONE)


def writer() -> None:
    saved = 0
    while PARSED.get() is not DONE:
        saved += 1
    print(f"writer saved {saved} records", flush=True)


def main() -> None:
    threads = [threading.Thread(target=f, name=f.__name__) for f in (reader, parser, writer)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


if __name__ == "__main__":
    main()
