"""Two bank transfers take the same two account locks in opposite orders: an ABBA deadlock.

What it demonstrates: the classic lock-ordering deadlock. "transfer-ab" takes
account A's lock, then B's; "transfer-ba" takes B's, then A's. Each sleeps a
little while holding its first lock, so both hold one and wait for the other,
forever. Run it with a timeout: `concurtrace run --timeout 3 --scenario deadlock_abba`.

What to look for:
- On stderr, the moment the run is stopped: "transfer-ab waits for
  Lock@deadlock_abba.py:36 (B.lock) held by transfer-ba, which waits for
  Lock@deadlock_abba.py:36 (A.lock) held by transfer-ab", with each thread's
  stack and where the holder of each lock was.
- The "deadlock" finding in the summary, and the cycle in its JSON "sync" key.
- Each transfer thread's "<thread> sync" track: "holding Lock@..." and, inside
  it, "waiting for Lock@..., held by ..." to the end of the run.
"""

import threading
import time

EXPECT = {
    "exit_code": -15,
    "timeout_s": 3,
    "processes": [{"name": "MainProcess", "parent": None, "signal": "SIGTERM"}],
    "threads": [
        {"process": "MainProcess", "name": "transfer-ab"},
        {"process": "MainProcess", "name": "transfer-ba"},
    ],
    "findings": ["deadlock"],
}


class Account:
    def __init__(self, name: str, balance: int) -> None:
        self.name, self.balance = name, balance
        self.lock = threading.Lock()


A = Account("A", 100)
B = Account("B", 100)


def transfer(source: Account, target: Account, amount: int) -> None:
    with source.lock:
        time.sleep(0.2)  # stands for a slow check, long enough for the other to start
        with target.lock:
            source.balance -= amount
            target.balance += amount


def main() -> None:
    ab = threading.Thread(target=transfer, args=(A, B, 10), name="transfer-ab")
    ba = threading.Thread(target=transfer, args=(B, A, 20), name="transfer-ba")
    ab.start()
    ba.start()
    print("two transfers started; they will never finish", flush=True)
    ab.join()
    ba.join()


if __name__ == "__main__":
    main()
