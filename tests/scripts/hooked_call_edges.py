"""Calls our hooks sit in, made the way CPython's own tests make them: a keyword argument
named `self` through ProcessPoolExecutor.submit (test_submit_keyword), and a handler whose
repr must never be taken by signal.signal (test_no_repr_is_called_on_signal_handler); and
os._exit(status=...), by its keyword."""

import functools
import os
import signal
import sys
from concurrent.futures import ProcessPoolExecutor


def echo(**kwargs: int) -> int:
    return kwargs["self"]


class Counted:
    reprs = 0

    def __repr__(self) -> str:
        Counted.reprs += 1
        return "Counted()"


if __name__ == "__main__":
    with ProcessPoolExecutor(1) as pool:
        print(pool.submit(echo, self=3).result())
    handler = functools.partial(lambda arg, *_: None, Counted())
    previous = signal.signal(signal.SIGHUP, handler)
    signal.signal(signal.SIGHUP, previous)
    print("reprs", Counted.reprs)
    sys.stdout.flush()
    os._exit(status=0)
