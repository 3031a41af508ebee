"""Errors raised around the Pipe, Process.join and Pool waits concurtrace observes,
caught and printed: EOF after a recorded wait, multiprocessing's own checks, a worker's
exception re-raised by AsyncResult.get."""

import multiprocessing as mp
import time
import traceback
from typing import Any

ctx = mp.get_context("fork")


def close_later(conn: Any) -> None:
    time.sleep(0.05)
    conn.close()


def fail(x: int) -> int:
    raise ValueError(f"bad {x}")


def eof_after_wait() -> None:
    mine, theirs = ctx.Pipe()
    child = ctx.Process(target=close_later, args=(theirs,))
    child.start()
    theirs.close()
    try:
        mine.recv()
    finally:
        child.join()


def closed() -> None:
    mine, _theirs = ctx.Pipe()
    mine.close()
    mine.recv()


def write_only() -> None:
    _reader, writer = ctx.Pipe(duplex=False)
    writer.poll(1)


def pooled(method: str, *args: Any) -> None:
    with ctx.Pool(1) as pool:  # terminated here: no Pool.__del__ racing its threads
        getattr(pool, method)(*args)


CALLS = [
    eof_after_wait,
    closed,
    write_only,
    lambda: ctx.Pipe()[0].recv_bytes(-1),  # ValueError: negative maxlength
    lambda: ctx.Pipe()[0].send(),  # TypeError: missing obj
    lambda: ctx.Process(target=print).join(),  # AssertionError: can only join a started
    lambda: pooled("apply", fail, (1,)),  # the worker's ValueError
    lambda: pooled("map", fail, [2, 3]),
]


def main() -> None:
    for call in CALLS:
        try:
            call()
        except Exception:
            traceback.print_exc()


if __name__ == "__main__":
    main()
