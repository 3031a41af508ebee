"""multiprocessing.connection Listener/Client (start method argv[1]): the parent's
accept() on a Unix socket waits 0.15 s for the child's Client(); the child's message
comes 0.1 s later, the parent's answer 0.1 s after that. Then the child's Client() to a
TCP listener waits 0.15 s for the parent's accept()."""

import multiprocessing as mp
import sys
import time
from multiprocessing.connection import Client, Listener
from typing import Any

KEY = b"secret"


def child(unix: Any, tcp: Any) -> None:
    time.sleep(0.15)
    with Client(unix, authkey=KEY) as conn:
        time.sleep(0.1)
        conn.send("hi")
        print("child got", conn.recv(), flush=True)
    with Client(tcp, authkey=KEY) as late:
        late.send("late")


def main() -> None:
    ctx = mp.get_context(sys.argv[1] if len(sys.argv) > 1 else "fork")
    with Listener(authkey=KEY) as server, Listener(("127.0.0.1", 0), authkey=KEY) as tcp:
        worker = ctx.Process(target=child, args=(server.address, tcp.address), name="client")
        worker.start()
        with server.accept() as conn:
            print("parent got", conn.recv(), flush=True)
            time.sleep(0.1)
            conn.send("bye")
        time.sleep(0.4)  # the child's Client() to tcp waits for this accept
        with tcp.accept() as late:
            print("parent got", late.recv(), flush=True)
        worker.join()


if __name__ == "__main__":
    main()
