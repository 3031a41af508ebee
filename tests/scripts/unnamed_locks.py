"""Five different locks made inside the standard library (here: by code that reads as
threading's own), each waited for once, each freed before the next is made."""

import gc
import threading
import time

# threading's own globals too: code of a fresh copy of threading (other globals) is the
# program's, and its objects get the program's line.
make = eval(compile("lambda: Lock()", threading.__file__, "eval"), vars(threading))


def hold(lock):
    with lock:
        time.sleep(0.03)


for _ in range(5):
    lock = make()
    holder = threading.Thread(target=hold, args=(lock,), name="holder")
    holder.start()
    time.sleep(0.005)
    with lock:
        pass
    holder.join()
    del lock, holder
    gc.collect()
print("done")
