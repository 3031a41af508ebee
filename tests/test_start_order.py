"""The target starts before the watchers, and runs its first line only after them.

runner/launch.py spawns the target, then starts the watchdog, the sampler and the live
deadlock detector (runner/watchers.py) while its interpreter starts; the session's
sitecustomize holds the target until the parent closes the go pipe. These check the order
(by the clock every process shares), that the pipe leaves no trace in the program (no fd,
no variable, in it or its children), and that a failed set-up never lets the program run.
No timing.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ORDER_PROBE = """
import json, os, sys, time
import concurtrace.runner.launch as launch
import concurtrace.runner.watchers as watchers
from concurtrace.runner import run as runner

real_start, real_pipe = watchers.Watchers.start, os.pipe
up, pipes = [], []


def start(self, launcher):
    time.sleep(0.3)  # a slow set-up: the program must still wait for it
    real_start(self, launcher)
    up.append(time.monotonic_ns())


def pipe():
    read, write = real_pipe()
    if sys._getframe(1).f_code.co_name == "_spawn":  # the go pipe (not the group sentinel's)
        pipes.append(os.fstat(read).st_ino)
    return read, write


watchers.Watchers.start = start
launch.os.pipe = pipe
result = runner.run(runner.RunConfig(target_argv=["-c", sys.argv[1]], light=sys.argv[2] == "1"))
timeline = result.timeline
root = timeline.processes[timeline.root_pid]
print(json.dumps({"up": up, "pipes": pipes, "code": result.outcome.exit_code,
                  "root_from_spawn": root.started_ns == timeline.started_ns > 0,
                  "main_from_spawn": root.threads[root.pid].started_ns == root.started_ns}))
"""

# the program: its first line's time, its fds, whether the variable is there; then a child's
SEEN = ("import json, os, time; t = time.monotonic_ns(); fds = os.listdir('/proc/self/fd'); "
        "print(json.dumps({'t': t, 'links': [os.readlink(f'/proc/self/fd/{fd}') for fd in fds "
        "if os.path.exists(f'/proc/self/fd/{fd}')], 'var': 'CONCURTRACE_GO_FD' in os.environ}),"
        " flush=True)")
PROGRAM = SEEN + "; import subprocess, sys; subprocess.run([sys.executable, '-c', " \
    f"{SEEN!r}], check=True)"


def test_the_program_runs_once_the_watchers_run_and_sees_no_go_pipe(tmp_path: Path) -> None:
    for light in ("1", "0"):
        done = subprocess.run([sys.executable, "-c", ORDER_PROBE, PROGRAM, light],
                              capture_output=True, text=True, cwd=tmp_path, timeout=60)
        assert done.returncode == 0, done.stderr
        *seen, parent = [json.loads(line) for line in done.stdout.splitlines()]
        assert parent["code"] == 0 and len(parent["up"]) == 1 and len(seen) == 2, done.stdout
        assert seen[0]["t"] > parent["up"][0], done.stdout  # after the 0.3 s set-up
        # ... yet the root process (and its main thread) began at the spawn, not at its
        # first sample or hello (both after the set-up)
        assert parent["root_from_spawn"] and parent["main_from_spawn"], done.stdout
        (pipe,) = parent["pipes"]
        for process in seen:  # the target and its child
            assert not process["var"], process
            assert f"pipe:[{pipe}]" not in process["links"], process


FAIL_PROBE = """
import os, sys
import concurtrace.runner.watchers as watchers
from concurtrace.runner import run as runner


def start(self, launcher):
    raise RuntimeError("no sampler today")


watchers.Watchers.start = start
try:
    runner.run(runner.RunConfig(target_argv=["-c", f"open({sys.argv[1]!r}, 'w').close()"],
                                light=True))
except RuntimeError as error:
    print("raised:", error)
try:
    os.waitpid(-1, os.WNOHANG)
except ChildProcessError:
    print("reaped")
"""


def test_a_failed_set_up_never_lets_the_program_run(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    done = subprocess.run([sys.executable, "-c", FAIL_PROBE, str(marker)], capture_output=True,
                          text=True, cwd=tmp_path, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["raised: no sampler today", "reaped"], done.stdout
    assert not marker.exists()


TIMEOUT_PROBE = """
import time
import concurtrace.runner.watchers as watchers
from concurtrace.runner import run as runner

real_start = watchers.Watchers.start


def start(self, launcher):
    time.sleep(1.0)  # a set-up as slow as on a machine at load 15
    real_start(self, launcher)


watchers.Watchers.start = start
result = runner.run(runner.RunConfig(target_argv=["-c", "import time; time.sleep(1.0)"],
                                     light=True, timeout_s=1.6))
print(result.outcome.exit_code, result.outcome.timed_out)
"""


def test_the_timeout_is_the_programs_time_not_the_set_up(tmp_path: Path) -> None:
    # --timeout 1.6 on a 1 s program after a 1 s set-up: counted from the spawn, the timer
    # would end it 0.6 s into its sleep
    done = subprocess.run([sys.executable, "-c", TIMEOUT_PROBE], capture_output=True,
                          text=True, cwd=tmp_path, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["0", "False"], done.stdout


def test_the_sampler_skips_only_the_pids_it_is_told_existed_before(tmp_path: Path) -> None:
    # runner/launch.py lists /proc just before the spawn: none of those is of the tree, so
    # the sampler's first scan reads no stat of theirs. A pid not on the list is still found.
    import os
    import time

    from concurtrace.sampler import TreeSampler

    told = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(3)"])
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(3)"])
    try:
        sampler = TreeSampler(os.getpid(), hz=100)
        sampler.not_descendants([told.pid, os.getpid()])
        sampler.start()
        time.sleep(0.3)
        seen = sampler.stop().processes
    finally:
        told.kill()
        other.kill()
        told.wait()
        other.wait()
    assert other.pid in seen and told.pid not in seen, sorted(seen)
