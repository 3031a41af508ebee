"""Three processes of the start method argv[1] take turns with one multiprocessing.Lock,
each holding it 100 ms."""

import multiprocessing as mp
import sys
import time
from typing import Any


def work(lock: Any, together: Any) -> None:
    together.wait()  # all three started (a traced spawn child starts slowly): now contend
    for _ in range(2):
        with lock:
            time.sleep(0.1)


def main() -> None:
    ctx = mp.get_context(sys.argv[1] if len(sys.argv) > 1 else "fork")
    ledger = ctx.Lock()
    together = ctx.Barrier(3)
    workers = [ctx.Process(target=work, args=(ledger, together)) for _ in range(3)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    print("done", flush=True)


if __name__ == "__main__":
    main()
