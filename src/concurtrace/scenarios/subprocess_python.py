"""Python children started by subprocess: a script file, `python -m`, and nested `python -c`.

What it demonstrates: processes that are not multiprocessing children are
still part of the tree. subprocess.run() starts, in turn, a worker script
written to a temporary directory ("worker.py", which runs a thread of its
own), `python -m json.tool` on a small JSON file, and `python -c` code that
itself starts another `python -c` (a grandchild).

What to look for in the timeline:
- The tree: MainProcess -> worker.py, python -m json.tool, python -c ->
  python -c. Each is traced: its own threads and calls appear.
- worker.py has a second thread, "worker-thread".
- MainProcess is "waiting for child" during each run().
"""

import subprocess
import sys
import tempfile
from pathlib import Path

EXPECT = {
    "exit_code": 0,
    "processes": [
        {"name": "MainProcess", "parent": None, "exit_code": 0},
        {"name": "worker.py", "parent": "MainProcess", "exit_code": 0, "traced": True},
        {"name": "python -m json.tool", "parent": "MainProcess", "exit_code": 0},
        {"name": "python -c", "parent": "MainProcess", "exit_code": 0},
        {"name": "python -c", "parent": "python -c", "exit_code": 0},
    ],
    "threads": [{"process": "worker.py", "name": "worker-thread", "daemon": False}],
    "min_processes": 5,
}

WORKER = """\
import threading, time

def work():
    time.sleep(0.1)
    print("worker.py: thread done", flush=True)

t = threading.Thread(target=work, name="worker-thread")
t.start()
t.join()
print("worker.py: done", flush=True)
"""

NESTED = (
    "import subprocess, sys; "
    "print('python -c: starting a grandchild', flush=True); "
    "subprocess.run([sys.executable, '-c', 'print(\"grandchild: hello\")'], check=True)"
)


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="concurtrace-") as tmp:
        worker = Path(tmp) / "worker.py"
        worker.write_text(WORKER, encoding="utf-8")
        data = Path(tmp) / "data.json"
        data.write_text('{"b": [1, 2], "a": {"c": null}}', encoding="utf-8")

        subprocess.run([sys.executable, str(worker)], check=True)
        subprocess.run([sys.executable, "-m", "json.tool", "--sort-keys", str(data)], check=True)
        subprocess.run([sys.executable, "-c", NESTED], check=True)
    print("MainProcess: all children finished", flush=True)


if __name__ == "__main__":
    main()
