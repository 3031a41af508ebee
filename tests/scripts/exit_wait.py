"""The main module joins one thread and returns while two non-daemon threads still run
(one of them starts a third as it ends, during the interpreter's wait at exit); a daemon
thread is never waited for (tests/test_sync_exit.py)."""

import threading
import time

# set as the interpreter's wait at exit begins (threading runs these callbacks first,
# concurtrace's before this one): the threads below outlive the main module on any load
at_exit = threading.Event()
threading._register_atexit(at_exit.set)  # type: ignore[attr-defined]


def nap(seconds: float) -> None:
    time.sleep(seconds)


def after_exit(seconds: float) -> None:
    at_exit.wait()
    time.sleep(seconds)


def last() -> None:
    after_exit(0.1)
    # started while the main thread waits at exit: the interpreter waits for it too
    threading.Thread(target=nap, args=(0.3,), name="late").start()


joined = threading.Thread(target=nap, args=(0.2,), name="joined")
joined.start()
threading.Thread(target=nap, args=(5,), name="ticker", daemon=True).start()
threading.Thread(target=after_exit, args=(0.2,), name="slow").start()
threading.Thread(target=last, name="starter").start()
joined.join()  # a join: ended by "joined"'s exit
print("main done", flush=True)
