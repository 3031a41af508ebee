"""multiprocessing's "Joining processes that use queues": a parent that join()s a child
before taking what the child put on a Queue waits forever when the item is bigger than
the pipe (the child's exit waits for its feeder thread to flush it).

    mp_join_before_get.py deadlock [fork|spawn]   join, then get: hangs
    mp_join_before_get.py consumer [fork|spawn]   a thread of the parent gets: no deadlock
    mp_join_before_get.py small [fork|spawn]      the item fits in the pipe: no deadlock,
                                                  and the dropped queue is freed at once
"""

import gc
import multiprocessing as mp
import sys
import threading
import weakref


def work(q, size):
    q.put("x" * size)


if __name__ == "__main__":
    mode = sys.argv[1]
    ctx = mp.get_context(sys.argv[2] if len(sys.argv) > 2 else "fork")
    q = ctx.Queue()
    size = 1000 if mode == "small" else 1_000_000
    p = ctx.Process(target=work, args=(q, size))
    got = []
    if mode == "consumer":
        reader = threading.Thread(target=lambda: got.append(len(q.get())), name="reader")
        reader.start()
    p.start()
    print("started", flush=True)
    p.join()
    if mode == "consumer":
        reader.join()
    else:
        got.append(len(q.get()))
    print(got[0], p.exitcode)
    if mode == "small":  # no cycle of ours keeps it for the collector
        gc.disable()
        ref = weakref.ref(q)
        q.close()
        q.join_thread()
        del q
        print("freed" if ref() is None else "kept")
