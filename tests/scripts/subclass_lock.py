"""Subclassing threading.Lock and RLock: never allowed (CPython's test_threading checks
test_lock_no_subclass on 3.13, where threading.Lock is a type)."""

import threading

for base in (threading.Lock, threading.RLock):
    try:
        class MyLock(base):  # type: ignore[misc, valid-type]
            pass
        print("subclassed", base.__name__)
    except TypeError as error:
        print(repr(error))
