"""Two processes take two multiprocessing locks in opposite orders (start method argv[1]):
each child prints "holding" once it holds its first lock and the other holds the other
one; 0.1 s later both block for good, a deadlock across processes."""

import multiprocessing as mp
import sys
import time
from typing import Any


def transfer(first: Any, second: Any, both: Any) -> None:
    with first:
        both.wait()  # each holds its first lock: now the second can only block
        print("holding", flush=True)
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
    ab.join()
    ba.join()


if __name__ == "__main__":
    main()
