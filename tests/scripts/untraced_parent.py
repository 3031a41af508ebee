"""A `python -I` child (untraced: it ignores PYTHONPATH) that starts and waits for its own
child, which is traced."""

import subprocess
import sys

MIDDLE = ("import subprocess, sys, time\n"
          "time.sleep(0.3)\n"
          "subprocess.run([sys.executable, '-c', 'import time; time.sleep(0.3)'], check=True)\n"
          "time.sleep(0.3)\n")
subprocess.run([sys.executable, "-I", "-c", MIDDLE], check=True)
