"""Workers started with PYTHONPATH rebuilt from the parent's sys.path, as twisted's
`trial -j` does (disttrial: environ["PYTHONPATH"] = os.pathsep.join(sys.path)), one by
posix_spawnp (twisted's spawnProcess) and one by subprocess."""

import os
import subprocess
import sys

CHILD = """
import sys, threading
t = threading.Thread(target=lambda: None, name="worker-pool-0")
t.start(); t.join()
print(sys.argv[1], any("concurtrace-" in p for p in sys.path))
"""

if __name__ == "__main__":
    env = os.environ.copy()
    env["PYTHONPATH"] = os.pathsep.join(sys.path)
    argv = [sys.executable, "-c", CHILD]
    pid = os.posix_spawnp(sys.executable, [*argv, "spawned"], env)
    _, status = os.waitpid(pid, 0)
    sys.stdout.flush()
    subprocess.run([*argv, "popen"], env=env, check=True)
    print("status", os.waitstatus_to_exitcode(status))
