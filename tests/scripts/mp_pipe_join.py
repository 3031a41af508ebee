"""Pipe and Process.join waits (start method argv[1]): the parent waits 150 ms for a
message on a duplex Pipe, in poll() for one on a one-way Pipe, for EOF once the child
closed its ends, and for the child's end; errors and results are printed."""

import multiprocessing as mp
import sys
import time
from typing import Any


def child(conn: Any, writer: Any) -> None:
    time.sleep(0.15)
    conn.send({"answer": 42})
    time.sleep(0.15)
    writer.send_bytes(b"raw bytes")
    time.sleep(0.15)
    conn.close()
    writer.close()
    time.sleep(0.15)


def main() -> None:
    ctx = mp.get_context(sys.argv[1] if len(sys.argv) > 1 else "fork")
    parent_end, child_end = ctx.Pipe()
    reader, writer = ctx.Pipe(duplex=False)
    worker = ctx.Process(target=child, args=(child_end, writer), name="pipe-child")
    worker.start()
    child_end.close()
    writer.close()
    print("got", parent_end.recv())
    print("poll", reader.poll(0.01), reader.poll(5), reader.recv_bytes())
    try:
        parent_end.recv()
    except EOFError as error:
        print("eof", repr(error))
    try:
        reader.recv_bytes(-1)
    except ValueError as error:
        print("error", error)
    worker.join()
    print("exitcode", worker.exitcode)


if __name__ == "__main__":
    main()
