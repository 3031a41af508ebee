"""Two processes take two multiprocessing locks in opposite orders: a deadlock across
processes (start method argv[1])."""

import multiprocessing as mp
import sys
import time
from typing import Any


def transfer(first: Any, second: Any, both: Any) -> None:
    with first:
        both.wait()  # each holds its first lock: now the second can only block
        time.sleep(0.1)
        with second:
            pass


def main() -> None:
    ctx = mp.get_context(sys.argv[1] if len(sys.argv) > 1 else "fork")
    lock_a, lock_b = ctx.Lock(), ctx.Lock()
    both = ctx.Barrier(2)
    ab = ctx.Process(target=transfer, args=(lock_a, lock_b, both), name="transfer-ab")
    ba = ctx.Process(target=transfer, args=(lock_b, lock_a, both), name="transfer-ba")
    ab.start()
    ba.start()
    print("started", flush=True)
    ab.join()
    ba.join()


if __name__ == "__main__":
    main()
