"""A process that execs another program while one of its threads sleeps: Python again
(argv[1] == "python", or "python-env" with execve: traced again, same pid) or sh, which
starts and waits for a sleep of its own and exits 7 (argv[1] == "sh")."""

import os
import sys
import threading
import time

threading.Thread(target=time.sleep, args=(5,), daemon=True, name="sleeper").start()
print("before exec", flush=True)
if sys.argv[1] == "python":
    os.execv(sys.executable, [sys.executable, "-c", "print('after exec')"])
if sys.argv[1] == "python-env":  # its PYTHONPATH rebuilt from sys.path, as twisted's trial
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    os.execve(sys.executable, [sys.executable, "-c", "print('after exec')"], env=env)
os.execvp("sh", ["sh", "-c", "sleep 0.1; echo after exec; exit 7"])
