"""werkzeug's routing Map keeps `lock_class = threading.Lock` and makes its lock with
`self.lock_class()`: a builtin function is not bound as a method (Flask's app failed at
its first line under concurtrace). threading.Lock still pickles by reference."""
import pickle
import threading


class Map:
    lock_class = threading.Lock

    def __init__(self) -> None:
        self.lock = self.lock_class()


with Map().lock:
    print("locked")
print(pickle.loads(pickle.dumps(threading.Lock)) is threading.Lock, repr(threading.Lock))
