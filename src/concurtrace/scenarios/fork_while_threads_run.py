"""Fork while threads run: the child gets only the forking thread, and a lock held by another.

What it demonstrates: os.fork() copies the whole memory of the process but only
the thread that called it. Here three threads run when the thread "forker-0"
forks: "ticker-0" and "ticker-1" just compute, and "holder" is in the middle of
`with shared_lock:`. In the child:
- the only thread is the forking one. It is now the child's main thread and
  keeps its name, "forker-0" (threading.main_thread().name says so);
- shared_lock is still locked, because it was locked when memory was copied,
  but the thread that would release it does not exist there. The child tries
  to take it for 0.5 s, gives up and says so. Without the timeout it would hang
  for ever: the classic fork-with-threads deadlock (logging's and stdio's
  locks are the ones real programs hit). Python 3.12+ warns about this fork
  with a DeprecationWarning when warnings are shown (-W default).
The cure: fork before starting threads, use the "spawn" or "forkserver" start
method, or re-create locks in an os.register_at_fork(after_in_child=...) hook.

What to look for in the timeline:
- "MainProcess (fork)" has exactly one thread, "forker-0" (no copies of the
  tickers or of holder: they do not exist in the child), with its "waiting
  for lock" state for the 0.5 s of acquire(timeout=0.5).
- In MainProcess, holder keeps the lock for 1 s, sleeping, while the child
  waits for it in vain; forker-0 waits for the child in os.waitpid.
"""

import os
import threading
import time

EXPECT = {
    "exit_code": 0,
    "processes": [
        {"name": "MainProcess", "parent": None, "exit_code": 0},
        {"name": "MainProcess (fork)", "parent": "MainProcess", "exit_code": 0,
         "start_method": "os.fork"},
    ],
    "threads": [
        {"process": "MainProcess (fork)", "name_regex": ".*", "count": 1},
        {"process": "MainProcess (fork)", "name": "forker-0", "min_s": 0.45},
        {"process": "MainProcess", "name": "holder", "min_s": 0.9},
        {"process": "MainProcess", "name_prefix": "ticker-", "count": 2},
    ],
    "states": [
        {"process": "MainProcess (fork)", "thread": "forker-0", "state": "lock",
         "min_share": 0.8},
    ],
}

shared_lock = threading.Lock()
holding = threading.Event()
stop = threading.Event()


def tick() -> None:
    while not stop.is_set():
        sum(range(5000))
        time.sleep(0.002)


def hold() -> None:
    with shared_lock:
        holding.set()
        time.sleep(1.0)


def child() -> None:
    names = [t.name for t in threading.enumerate()]
    print(f"child {os.getpid()}: threads {names}, main thread "
          f"{threading.main_thread().name!r}", flush=True)
    if shared_lock.acquire(timeout=0.5):
        print("child: got the lock (the holder had released it before the fork)", flush=True)
    else:
        print("child: shared_lock is held by a thread that does not exist here", flush=True)
    os._exit(0)


def forker() -> None:
    pid = os.fork()
    if pid == 0:
        child()
    _, status = os.waitpid(pid, 0)
    print(f"parent: child {pid} exit code {os.waitstatus_to_exitcode(status)}", flush=True)


def main() -> None:
    tickers = [threading.Thread(target=tick, name=f"ticker-{i}") for i in range(2)]
    holder = threading.Thread(target=hold, name="holder")
    for thread in (*tickers, holder):
        thread.start()
    holding.wait()
    print(f"parent {os.getpid()}: threads {[t.name for t in threading.enumerate()]}",
          flush=True)
    forking = threading.Thread(target=forker, name="forker-0")
    forking.start()
    forking.join()
    stop.set()
    for thread in (*tickers, holder):
        thread.join()


if __name__ == "__main__":
    main()
