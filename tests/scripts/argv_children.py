"""Children whose argv matters: a Popen'd python -c with awkward arguments (spaces, an
empty string, unicode) and a spawn multiprocessing child. Each process prints its
/proc/self/cmdline as JSON, so the test can compare the trace with the kernel's argv."""

import multiprocessing
import subprocess
import sys

SHOW = (
    "import json; argv = open('/proc/self/cmdline', 'rb').read().decode().split('\\0')[:-1]; "
    "print('ARGV', json.dumps(argv), flush=True)"
)


def show() -> None:
    exec(SHOW)


if __name__ == "__main__":
    show()
    subprocess.run([sys.executable, "-c", SHOW, "two words", "", "--size=3", "naïve"], check=True)
    ctx = multiprocessing.get_context("spawn")
    child = ctx.Process(target=show, name="argv-child")
    child.start()
    child.join()
