"""Functions and classes concurtrace patches still pickle by reference, as without it."""

import multiprocessing
import os
import pickle
import queue
import signal
import subprocess
import threading

if __name__ == "__main__":
    for obj in (threading.Lock, threading.RLock, os.kill, os.fork, os.waitpid, os._exit,
                signal.signal, signal.getsignal, subprocess.Popen, threading.Thread.start,
                threading.Thread.join, queue.Queue.get, threading.Condition.wait,
                threading.excepthook):
        assert pickle.loads(pickle.dumps(obj)) is obj, obj
    print("pickled by reference")
    with multiprocessing.get_context("spawn").Manager() as manager:  # pickles threading.Lock
        lock = manager.Lock()
        with lock:
            print("manager lock taken")
