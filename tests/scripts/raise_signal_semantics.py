"""signal.raise_signal as the program uses it: no-op 0, an invalid signal (its traceback),
a handled one."""
import os
import signal

try:
    signal.raise_signal(0)
except Exception as e:
    print(type(e).__name__, e)
import traceback

try:
    signal.raise_signal(99999)
except Exception:
    traceback.print_exc()
signal.signal(signal.SIGUSR1, lambda s, f: print("got usr1"))
signal.raise_signal(signal.SIGUSR1)
print(signal.raise_signal.__name__)
for bad in ("x", None, 2.5):
    for call in (signal.raise_signal, lambda sig: os.kill(os.getpid(), sig)):
        try:
            call(bad)
        except Exception as e:
            print(type(e).__name__, e)
