"""What runs while Event.wait holds the Event's own lock: a signal handler that calls
event.set() there deadlocks (plain Python has the window too; concurtrace must not widen
it with frames of its own). Prints the Python functions called in that window."""

import sys
import threading

ev = threading.Event()
seen: set[tuple[str, str]] = set()


def tracer(frame, event, arg):  # type: ignore[no-untyped-def]
    if event == "call" and ev._cond._lock.locked():
        seen.add((frame.f_code.co_filename.rsplit("/", 1)[-1], frame.f_code.co_name))


sys.settrace(tracer)
ev.wait(0.005)  # a wait concurtrace records (past its 1 ms threshold)
ev.wait(0)  # a poll
sys.settrace(None)
print(type(ev._cond).__name__, sorted(seen))
