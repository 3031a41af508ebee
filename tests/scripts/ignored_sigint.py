"""A consumer stopped by Ctrl-C whose workers ignore SIGINT, as huey_consumer -k process
(its workers set SIG_IGN, the master sets an Event they poll) and multiprocessing's manager
and resource tracker: the group's SIGINT reaches every process, only the master handles
it. worker-0 ignores it itself (a fork child); the helper, a Python exec'd with SIGINT
already ignored (inherited across exec), ends at EOF on its stdin."""

import multiprocessing as mp
import signal
import subprocess
import sys
import time

HELPER = "import sys\nsys.stdin.read()\nprint('helper done', flush=True)"


def worker(ready: "mp.synchronize.Semaphore", stop: "mp.synchronize.Event") -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    ready.release()
    while not stop.wait(0.05):
        pass


def ignore_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)


if __name__ == "__main__":
    ctx = mp.get_context("fork")
    ready, stop = ctx.Semaphore(0), ctx.Event()
    w = ctx.Process(target=worker, args=(ready, stop), name="worker-0")
    w.start()
    helper = subprocess.Popen([sys.executable, "-c", HELPER], stdin=subprocess.PIPE,
                              preexec_fn=ignore_sigint)
    ready.acquire(timeout=60)
    time.sleep(0.3)  # the helper's interpreter is up
    try:  # the test's SIGINT may come as soon as "ready" is out
        print("ready", flush=True)
        time.sleep(60)
    except KeyboardInterrupt:
        pass
    time.sleep(0.3)  # the workers outlive the group's SIGINT by far (huey's shutdown)
    stop.set()
    w.join(30)
    assert helper.stdin is not None
    helper.stdin.close()
    print(w.exitcode, helper.wait(30), flush=True)
