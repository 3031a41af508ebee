"""A tiny job server: worker processes dial in to the parent's Listener and send results.

What it demonstrates: multiprocessing.connection's Listener, Client and wait(). The
parent accepts two workers (each connects once it has started), then waits on both
connections at once with connection.wait() until each has sent its results and hung
up; the workers take 150 and 300 ms per result.

What to look for in the timeline:
- MainProcess's "MainThread sync" track: "waiting in accept() for a client of
  Listener@mp_job_server.py:57 (...)" slices, each with an arrow from the worker's
  "connected to Listener@..." mark (a worker already there when accept() began is not
  waited for); then "waiting in connection.wait@mp_job_server.py:66 for Connection@...
  and Connection@..." slices, each ended by the worker whose send ("sent into ...") or
  hang-up ("closed ...") made one ready.
- Each worker's "waiting for Client@mp_job_server.py:50 (...) to be accepted": its
  handshake needs the parent's accept(), whose "accepted Client@..." ends it.
"""

import multiprocessing
import time
from multiprocessing.connection import Client, Connection, Listener, wait
from typing import Any

KEY = b"jobs"
EXPECT = {
    "exit_code": 0,
    "processes": [
        {"name": "MainProcess", "parent": None, "exit_code": 0},
        {"name_prefix": "worker-", "count": 2, "parent": "MainProcess", "exit_code": 0},
    ],
    "sync": [
        {"label_regex": r"Listener@mp_job_server\.py:\d+ .*", "min_waits": 1,
         "outcomes": ["accepted"], "ended_by_prefix": "MainThread of worker-"},
        {"label_regex": r"connection\.wait@mp_job_server\.py:\d+ for Connection@.*",
         "min_waits": 3, "outcomes": ["ready"], "ended_by_prefix": "MainThread of worker-"},
    ],
    "sync_slices": [
        {"name_regex": r"waiting in connection\.wait@mp_job_server\.py:\d+ for .*",
         "outcome": "ready", "releaser_prefix": "MainThread of worker-", "min_count": 3},
        {"name_regex": r"resumed: ready",
         "flow_src_regex": r"sent into connection\.wait@mp_job_server\.py:\d+ for .*",
         "min_count": 3},
        {"name_regex": r"resumed: accepted",
         "flow_src_regex": r"connected to Listener@mp_job_server\.py:\d+ .*"},
    ],
}


def work(address: Any, step: float) -> None:
    with Client(address, authkey=KEY) as conn:
        for n in range(2):
            time.sleep(step)  # computing a result
            conn.send((multiprocessing.current_process().name, n))


def main() -> None:
    with Listener(authkey=KEY) as server:
        workers = [multiprocessing.Process(target=work, args=(server.address, step),
                                           name=f"worker-{i}")
                   for i, step in enumerate((0.15, 0.3), 1)]
        for worker in workers:
            worker.start()
        conns = [server.accept() for _ in workers]
        results = []
        while conns:
            for conn in wait(conns):
                assert isinstance(conn, Connection)  # wait() returns what it was given
                try:
                    results.append(conn.recv())
                except EOFError:  # that worker hung up
                    conns.remove(conn)
                    conn.close()
        for worker in workers:
            worker.join()
    print("results", sorted(results), flush=True)


if __name__ == "__main__":
    main()
