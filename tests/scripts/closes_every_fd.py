"""A daemon-like program: closes every fd above 2 (os.closerange, or os.close one by one
when argv[1] == "close"), then opens 450 files (so the numbers our fds had are handed out
again), starts a thread, and checks that its files hold only what it wrote."""

import os
import sys
import tempfile
import threading
import time

limit = 4096
if sys.argv[1] == "close":
    for fd in range(3, limit):
        try:
            os.close(fd)
        except OSError:
            pass
else:
    os.closerange(3, limit)
folder = tempfile.mkdtemp()
files = [open(os.path.join(folder, f"{i}.txt"), "w") for i in range(450)]
worker = threading.Thread(target=time.sleep, args=(0.01,), name="after-close")
worker.start()
worker.join()
for f in files:
    f.close()
foreign = [i for i in range(450) if os.path.getsize(os.path.join(folder, f"{i}.txt"))]
print("files with bytes we did not write:", foreign)
