"""One child per way of starting a Python process; all joined/waited."""

import multiprocessing as mp
import os
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor


def work(x: int = 0) -> int:
    time.sleep(0.05)
    return x * 2


if __name__ == "__main__":
    for method in ("fork", "spawn", "forkserver"):
        child = mp.get_context(method).Process(target=work, name=f"{method}-child")
        child.start()
        child.join()
    with ProcessPoolExecutor(2, mp_context=mp.get_context("spawn")) as pool:
        print(sum(pool.map(work, range(4))))
    subprocess.run([sys.executable, "-c", "import time; time.sleep(0.05)"], check=True)
    pid = os.fork()
    if pid == 0:
        work()
        os._exit(0)
    os.waitpid(pid, 0)
    print("done")
