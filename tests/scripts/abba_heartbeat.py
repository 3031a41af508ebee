"""An ABBA cycle while a heartbeat thread keeps running (it sleeps and wakes every 50 ms).

    abba_heartbeat.py KIND   (KIND: rlock | lock | timeout | exit)

rlock: the cycle is on two RLocks: only their owners can release them, so it is a
deadlock whatever the heartbeat does. lock: on two plain Locks, which the heartbeat could
release (any thread may release a Lock): the live detector waits for every thread to be
stuck. timeout: plain Locks, the second taken with acquire(timeout=30): it ends by itself.
exit: plain Locks, no heartbeat, and MainThread returns without joining: it waits for
the two at the interpreter's exit (in C, not a recorded wait: hooks_sync_exit says so).
"""

import sys
import threading
import time

KIND = sys.argv[1]
make = threading.RLock if KIND == "rlock" else threading.Lock
FIRST, SECOND = make(), make()
both = threading.Barrier(2)


def heartbeat() -> None:
    while True:
        time.sleep(0.05)


def side(mine: "threading.Lock", theirs: "threading.Lock") -> None:
    with mine:
        both.wait()
        if KIND == "timeout":
            if theirs.acquire(timeout=30):
                theirs.release()
        else:
            with theirs:
                pass


if KIND != "exit":
    threading.Thread(target=heartbeat, name="heartbeat", daemon=True).start()
ab = threading.Thread(target=side, args=(FIRST, SECOND), name="side-ab")
ba = threading.Thread(target=side, args=(SECOND, FIRST), name="side-ba")
ab.start()
ba.start()
print("started", flush=True)
if KIND != "exit":
    ab.join()
    ba.join()
