"""A worker its parent terminate()s right after starting it, before the child's Python got
far (CPython's test_concurrent_futures kills pool workers 2 ms after they start)."""

import multiprocessing as mp

if __name__ == "__main__":
    worker = mp.get_context("spawn").Process(target=print, args=("never",))
    worker.start()
    worker.terminate()
    worker.join()
    print("exit", worker.exitcode, "daemon", worker.daemon)
