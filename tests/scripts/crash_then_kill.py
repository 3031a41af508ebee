"""Children that died on their own, then were sent a signal anyway (a broken pool's cleanup).

"crasher" segfaults; "quitter" dies of its own SIGTERM. The parent waits until each is dead
(without reaping it), sends it SIGTERM as ProcessPoolExecutor's terminate() does to a
broken pool's workers, then joins it. Neither death was the parent's doing.
"""

import ctypes
import multiprocessing
import os
import signal


def crash() -> None:
    ctypes.string_at(0)


def quit_by_own_sigterm() -> None:
    signal.raise_signal(signal.SIGTERM)


if __name__ == "__main__":
    for name, target in (("crasher", crash), ("quitter", quit_by_own_sigterm)):
        child = multiprocessing.Process(target=target, name=name)
        child.start()
        os.waitid(os.P_PID, child.pid, os.WEXITED | os.WNOWAIT)  # dead, not yet reaped
        os.kill(child.pid, signal.SIGTERM)
        child.join()
        print(name, child.exitcode, flush=True)
