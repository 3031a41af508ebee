"""`del res` frees res at once, as without concurtrace, after a hooked wait in the same
frame: before 3.13 the hook's read of the frame's locals (to name the lock) left a
snapshot on the frame that kept res alive until main() returned (its __del__ printed after
"after del"; CPython 3.10's test_concurrent_futures test_del_shutdown hung on it)."""

import threading
import time


class Resource:
    def __del__(self) -> None:
        print("freed", flush=True)


def main() -> None:
    res = Resource()
    lock = threading.Lock()
    lock.acquire()
    threading.Thread(target=lambda: (time.sleep(0.05), lock.release())).start()
    lock.acquire()  # a wait over the threshold: the hook looks for the lock's name here
    del res
    print("after del", flush=True)


main()
