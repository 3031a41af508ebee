"""ProcessPoolExecutor waits (start method argv[1]): a result() 0.2 s in, a wait() for
two calls (FIRST_COMPLETED, then the rest), as_completed over two (0.3 s and 0.1 s), a
result() that raises the worker's ValueError, then a pool broken by a worker that dies.
Which worker ran each call goes to the file argv[2] (pids vary: not on stdout)."""

import concurrent.futures as cf
import json
import multiprocessing as mp
import os
import sys
import time
import traceback

ran: dict[str, int] = {}


def slow(x: int) -> tuple[int, int]:
    time.sleep(0.1 * x)
    return x * x, os.getpid()


def bad(x: int) -> int:
    time.sleep(0.1)
    raise ValueError(f"bad {x}")


def value(future: "cf.Future[tuple[int, int]]", what: str) -> int:
    result, pid = future.result()
    ran[what] = pid
    return result


def main() -> None:
    ctx = mp.get_context(sys.argv[1] if len(sys.argv) > 1 else "fork")
    with cf.ProcessPoolExecutor(2, mp_context=ctx) as pool:
        pool.submit(slow, 0).result()  # the workers are up: the waits below are the calls'
        print(value(pool.submit(slow, 2), "result"))
        first, second = pool.submit(slow, 1), pool.submit(slow, 3)
        done, rest = cf.wait([first, second], return_when=cf.FIRST_COMPLETED)
        print([value(f, "wait_first") for f in done], len(rest))
        cf.wait(rest)
        print(value(second, "wait_rest"))
        calls = [pool.submit(slow, x) for x in (3, 1)]
        got = []
        for n, f in enumerate(cf.as_completed(calls)):
            got.append(value(f, f"as_completed_{n}"))
        print(sorted(got))
        try:
            pool.submit(bad, 7).result()
        except ValueError:
            traceback.print_exc()
    broken = cf.ProcessPoolExecutor(1, mp_context=ctx)
    try:
        broken.submit(os._exit, 3).result()
    except cf.process.BrokenProcessPool:
        traceback.print_exc()
    broken.shutdown()
    if len(sys.argv) > 2:
        with open(sys.argv[2], "w") as out:
            json.dump(ran, out)


if __name__ == "__main__":
    main()
