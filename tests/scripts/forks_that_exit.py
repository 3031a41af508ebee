"""What CPython's test_threading does many times: os.fork children that os._exit(code)."""

import os

for code in (50, 50, 50, 50, 51):
    pid = os.fork()
    if pid == 0:
        os._exit(code)
    os.waitpid(pid, 0)
print("forked 5")
