"""A thread raises an exception; the main thread joins it and carries on.

What it demonstrates: an uncaught exception in a thread ends that thread only.
threading.excepthook prints "Exception in thread faulty" and the traceback to
stderr; join() returns normally, nothing is re-raised in the main thread, and
the process still exits 0.

What to look for in the timeline:
- MainProcess: MainThread starts "faulty", waits in join() (about 0.2 s),
  then continues.
- "faulty" ends with a normal "thread_exit" (not abandoned) after about 0.2 s;
  its last slice is the call that raised.
"""

import threading
import time

EXPECT = {
    "exit_code": 0,
    "processes": [{"name": "MainProcess", "parent": None, "exit_code": 0}],
    "threads": [
        {"process": "MainProcess", "name": "faulty", "daemon": False, "abandoned": False,
         "min_s": 0.15, "max_s": 1.5},
    ],
    "no_findings": ["daemon_thread_abandoned", "nonzero_exit"],
}


def parse(text: str) -> int:
    return int(text)


def faulty() -> None:
    time.sleep(0.2)
    parse("not a number")  # ValueError, uncaught in this thread


def main() -> None:
    t = threading.Thread(target=faulty, name="faulty")
    t.start()
    t.join()
    print("main: join() returned normally; the exception stayed in its thread", flush=True)


if __name__ == "__main__":
    main()
