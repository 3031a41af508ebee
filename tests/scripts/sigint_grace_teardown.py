"""Django's runserver at Ctrl-C: the autoreloader's parent waits in subprocess.run, which on
KeyboardInterrupt gives the child 0.25 s and then kill()s it; the child (the server) got
the same SIGINT and exits, but its interpreter's own teardown can outlast that patience.
Here an object's __del__ at teardown (after atexit) makes it so, with or without us: the
child dies of SIGKILL from its parent after its program had finished."""

import subprocess
import sys

CHILD = """
import time
class Slow:
    def __del__(self):
        time.sleep(2.0)
keep = Slow()
try:
    print("ready", flush=True)
    time.sleep(60)
except KeyboardInterrupt:
    pass
"""

if __name__ == "__main__":
    try:
        subprocess.run([sys.executable, "-c", CHILD], check=False)
    except KeyboardInterrupt:
        print("interrupted", flush=True)
