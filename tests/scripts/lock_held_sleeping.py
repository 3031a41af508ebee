"""One transfer sleeps 150 ms while it holds the bank's lock, and three tellers wait for
it then; otherwise the tellers seldom wait (no lock_contention: this is one long hold)."""

import threading
import time

BANK = threading.Lock()


def transfer():
    with BANK:
        time.sleep(0.15)  # a slow call, made while holding the lock


def teller():
    time.sleep(0.02)
    with BANK:
        pass
    time.sleep(1.0)  # serving customers, no lock


threads = [threading.Thread(target=transfer, name="transfer")]
threads += [threading.Thread(target=teller, name=f"teller-{k}") for k in range(3)]
for t in threads:
    t.start()
for t in threads:
    t.join()
