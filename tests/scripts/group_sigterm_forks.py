"""tornado's fork_processes(2) stopped by `kill -TERM -PGID`: the parent and its forked
children all die of the one group SIGTERM. Here each child holds SIGTERM blocked until its
parent is gone, so that it dies of that same signal after its parent, every time."""

import os
import signal
import sys
import time

if __name__ == "__main__":
    parent = os.getpid()
    ready_r, ready_w = os.pipe()
    for _ in range(2):
        if os.fork() == 0:
            signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})
            os.write(ready_w, b"x")
            while os.getppid() == parent:
                time.sleep(0.01)
            time.sleep(0.05)  # well after its parent's end, whatever the reaper's delay
            signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM})  # dies of it here
            os._exit(3)
    os.read(ready_r, 1)
    os.read(ready_r, 1)
    print("ready", flush=True)
    time.sleep(60)
    sys.exit(1)
