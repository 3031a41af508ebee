"""A graceful SIGTERM shutdown: a parent SIGTERMs workers that handle it and exit 0.

What it demonstrates: SIGTERM asks, it does not force. Each worker installs its
own SIGTERM handler (as gunicorn's workers, celery and most servers do), so when
the parent calls terminate() the worker finishes the item in hand, leaves its loop
and exits 0, as if it had returned: the exit status alone hides that it was told
to stop. A second, "stubborn" worker has no handler: the same terminate() kills
it (-15). The parent joins both.

What to look for in the timeline:
- "graceful": a "received SIGTERM from MainProcess (handled)" instant, with an
  arrow from terminate() in MainProcess, then "graceful exited with code 0 after
  SIGTERM from MainProcess (handled)" once its current item is done (~50 ms later).
- "stubborn": "terminated by SIGTERM: terminate() from MainProcess", with the
  arrow from terminate() straight to its end.
- In the summary: graceful "exit 0 after SIGTERM from MainProcess (handled)",
  stubborn "SIGTERM (terminate by MainProcess)".
"""

import multiprocessing
import signal
import time
from typing import Any

EXPECT = {
    "exit_code": 0,
    "processes": [
        {"name": "MainProcess", "parent": None, "exit_code": 0, "handled_signal": None},
        {"name": "graceful", "parent": "MainProcess", "exit_code": 0, "signal": None,
         "terminated_by": None, "handled_signal": "SIGTERM"},
        {"name": "stubborn", "parent": "MainProcess", "exit_code": -15, "signal": "SIGTERM",
         "terminated_by": "terminate", "handled_signal": None},
    ],
    "no_findings": ["child_not_joined"],
}


def serve(ready: Any, graceful: bool) -> None:
    stopping = []
    if graceful:
        signal.signal(signal.SIGTERM, lambda signum, frame: stopping.append(signum))
    ready.set()
    while not stopping:
        time.sleep(0.05)  # one "request"; a graceful stop lets it finish
    print("graceful: SIGTERM received, finished the request in hand, exiting 0", flush=True)


def main() -> None:
    workers = []
    for name in ("graceful", "stubborn"):
        ready = multiprocessing.Event()
        worker = multiprocessing.Process(target=serve, args=(ready, name == "graceful"),
                                         name=name)
        worker.start()
        ready.wait()  # its handler (if any) is in place before the SIGTERM
        workers.append(worker)
    time.sleep(0.1)
    for worker in workers:
        worker.terminate()
    for worker in workers:
        worker.join()
        print(f"{worker.name}: exitcode {worker.exitcode}", flush=True)


if __name__ == "__main__":
    main()
