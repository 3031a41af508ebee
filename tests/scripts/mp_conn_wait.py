"""multiprocessing.connection.wait (start method argv[1]): on two Pipe ends and a child's
sentinel until the child sends into the second (0.15 s in), on the first alone until a
timeout, then on the sentinel until the child ends (0.15 s later)."""

import multiprocessing as mp
import sys
import time
from multiprocessing.connection import Connection, wait


def child(quiet: Connection, loud: Connection) -> None:
    time.sleep(0.15)
    loud.send("hello")
    time.sleep(0.15)


def main() -> None:
    ctx = mp.get_context(sys.argv[1] if len(sys.argv) > 1 else "fork")
    quiet_in, quiet_out = ctx.Pipe(duplex=False)
    loud_in, loud_out = ctx.Pipe(duplex=False)
    worker = ctx.Process(target=child, args=(quiet_out, loud_out), name="sender")
    worker.start()
    ready = wait([quiet_in, loud_in, worker.sentinel])
    print([r is loud_in for r in ready], loud_in.recv())
    print(wait([quiet_in], 0.05))
    print(wait([worker.sentinel]) == [worker.sentinel])
    worker.join()


if __name__ == "__main__":
    main()
