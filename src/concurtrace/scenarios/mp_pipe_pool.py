"""A producer process feeding its parent through a Pipe, then a Pool computing a map.

What it demonstrates: waits on multiprocessing objects that are not locks. The parent
waits for each message the producer sends through a Pipe (the producer takes 100 ms per
item), for its end of the pipe (EOF) and for the producer to exit; then it waits for a
Pool's map, whose slowest result comes from one of two worker processes.

What to look for in the timeline:
- MainProcess's "MainThread sync" track: "waiting for a message from
  Pipe@mp_pipe_pool.py:63 (inbox)" slices, each with a flow arrow from the producer's
  "sent into Pipe@..." mark, across processes; the last one ends at "eof" (the arrow
  comes from the producer's "closed Pipe@..."); "waiting for Process@mp_pipe_pool.py:64
  (producer) to end", ended by the producer's exit.
- "waiting for the result of AsyncResult@mp_pipe_pool.py:74 (map)": not an Event inside
  pool.py; its arrow comes from the pool worker that put the last result.
"""

import multiprocessing
import time
from typing import Any

EXPECT = {
    "exit_code": 0,
    "processes": [
        {"name": "MainProcess", "parent": None, "exit_code": 0},
        {"name": "producer", "parent": "MainProcess", "exit_code": 0},
        {"name_regex": r"(Fork|Spawn|ForkServer)PoolWorker-\d+", "min_count": 2,
         "parent": "MainProcess", "daemon": True, "exit_code": 0},
    ],
    "sync": [
        {"label_regex": r"Pipe@mp_pipe_pool\.py:63 \(inbox\)", "min_waits": 3,
         "outcomes": ["got_item", "eof"], "ended_by_prefix": "MainThread of producer"},
        {"label_regex": r"Process@mp_pipe_pool\.py:64 \(producer\)", "outcomes": ["exited"],
         "ended_by_prefix": "MainThread of producer"},
        {"label_regex": r"AsyncResult@mp_pipe_pool\.py:74 \(map\)", "outcomes": ["completed"],
         "ended_by_prefix": "MainThread of "},
    ],
    "sync_slices": [
        {"name_regex": r"resumed: got_item", "flow_src_regex": r"sent into Pipe@.*",
         "min_count": 3},
        {"name_regex": r"resumed: eof", "flow_src_regex": r"closed Pipe@.*"},
        {"name_regex": r"resumed: completed",
         "flow_src_regex": r"completed AsyncResult@mp_pipe_pool\.py:74 \(map\)"},
    ],
}


def produce(outbox: Any) -> None:
    for item in range(3):
        time.sleep(0.1)  # making each item takes a while: the parent waits for it
        outbox.send(item)
    time.sleep(0.1)  # tidying up: the parent waits once more, and gets EOF
    outbox.close()
    time.sleep(0.1)  # and the parent's join waits for this


def square(x: int) -> int:
    time.sleep(0.05 * x)
    return x * x


def main() -> None:
    inbox, outbox = multiprocessing.Pipe()
    producer = multiprocessing.Process(target=produce, args=(outbox,), name="producer")
    producer.start()
    outbox.close()  # the producer's copy is the only writer left: EOF once it closes
    try:
        while True:
            print("got", inbox.recv(), flush=True)
    except EOFError:
        print("the producer closed its end", flush=True)
    producer.join()
    pool = multiprocessing.Pool(2)
    print("squares", pool.map(square, [1, 2, 3, 4]), flush=True)
    pool.close()
    pool.join()


if __name__ == "__main__":
    main()
