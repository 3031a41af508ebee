"""Errors raised by the multiprocessing sync objects concurtrace observes, caught and
printed (and one through a Manager proxy)."""

import multiprocessing as mp
import pickle
import traceback

CALLS = [
    lambda: mp.Lock().release(),  # ValueError: semaphore or lock released too many times
    lambda: mp.RLock().release(),  # AssertionError: not owned by thread
    lambda: mp.Lock().acquire(True, "x"),  # TypeError from C
    lambda: pickle.dumps(mp.Lock()),  # RuntimeError: only through inheritance
    lambda: mp.Queue().get(timeout=0.01),  # queue.Empty after a real (recorded) wait
    lambda: mp.Queue().get(False),
    lambda: mp.SimpleQueue().get(1),  # TypeError: takes 1 positional argument
    lambda: mp.JoinableQueue().task_done(),  # ValueError: called too many times
    lambda: mp.Condition().wait(0.01),  # AssertionError: must acquire() first
]


def main() -> None:
    for call in CALLS:
        try:
            call()
        except Exception:
            traceback.print_exc()
    with mp.Manager() as manager:
        shared = manager.dict()
        try:
            shared["missing"]
        except KeyError:
            traceback.print_exc()


if __name__ == "__main__":
    main()
