"""pytest-timeout's thread method (and any hang dumper): every live thread's stack,
printed with traceback.format_stack from sys._current_frames()."""
import linecache
import sys
import threading
import traceback

stop = threading.Event()
ready = threading.Event()


def waiter() -> None:
    ready.set()
    stop.wait(30)


thread = threading.Thread(target=waiter, name="waiter")
thread.start()
ready.wait()
cond_wait = getattr(threading.Condition.wait, "__wrapped__", threading.Condition.wait)


def blocked(frame) -> bool:  # in Condition.wait's acquire, the innermost frame
    line = linecache.getline(frame.f_code.co_filename, frame.f_lineno)
    return frame.f_code is cond_wait.__code__ and "acquire(True, timeout)" in line


while not blocked(sys._current_frames()[thread.ident]):
    pass
print("".join(traceback.format_stack(sys._current_frames()[thread.ident])), end="")
stop.set()
thread.join()
