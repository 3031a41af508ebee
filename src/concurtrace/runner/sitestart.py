"""What the session's sitecustomize runs in every Python of a traced tree (runner/session.py).

Here, in the package, and not in the sitecustomize file itself: that file is new in each
session, so every traced process compiled its ~90 lines again (~0.8 ms of each process's
start, the root's before the go); this module's bytecode is cached with the package.

In order: in the main interpreter only, import the bootstrap and make its recorder (the
config read, libc's sigaction found); the root target then waits for the go (the end of
file of CONCURTRACE_GO_FD, runner/launch.py), so nothing of the program runs before the
parent's watchers; the program's own sitecustomize, if any, runs next; the trace starts
last (the hello, the hooks, the handlers). Runs inside the traced program: nothing printed
but the one line of a bootstrap that cannot be imported.
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False  # not typing's: importing typing costs every traced process
if TYPE_CHECKING:
    from collections.abc import Callable


def in_main_interpreter() -> bool:
    """Signals belong to the main thread of the main interpreter, where site runs; in a
    sub-interpreter set_wakeup_fd raises, and tracing there is not safe (VizTracer's C state
    is per process): leave a record for the summary's note, print nothing."""
    import _signal  # type: ignore[import-not-found]  # not signal: its enums cost ~2.7 ms

    try:
        _signal.set_wakeup_fd(_signal.set_wakeup_fd(-1))
        return True
    except ValueError:
        pass
    import time

    try:
        session = os.environ["CONCURTRACE_SESSION"]
        fd = os.open(os.path.join(session, f"life-{os.getpid()}-subinterpreters.jsonl"),
                     os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC, 0o600)
        try:
            os.write(fd, b'{"ev":"subinterpreter","pid":%d,"ts":%d}\n'
                     % (os.getpid(), time.monotonic_ns()))
        finally:
            os.close(fd)
    except Exception:  # noqa: BLE001, S110 - never break the traced program
        pass
    return False


def hold_for_the_go() -> None:
    """The root target waits here, its interpreter and our imports done, until concurtrace
    has its sampler and watchdog running: nothing of the program runs unobserved. End of
    file: the parent went; we go too. The variable and the fd are gone before the program."""
    go = os.environ.pop("CONCURTRACE_GO_FD", None)
    if go is None:
        return
    try:
        os.read(int(go), 1)
    except (OSError, ValueError):
        pass
    try:
        os.close(int(go))
    except (OSError, ValueError):
        pass


def _prepare() -> Callable[[], None] | None:
    start: Callable[[], None] | None = None
    if in_main_interpreter():
        try:
            from concurtrace.runner.bootstrap import prepare_from_environment

            start = prepare_from_environment()
        except Exception as error:  # noqa: BLE001 - never break the traced program
            sys.stderr.write(f"concurtrace: tracing not started in pid {os.getpid()}: "
                             f"{error!r}\n")
    hold_for_the_go()
    return start


def ctrl_c() -> None:
    """Ctrl-C came while we started this interpreter (our imports, the hold for the go, our
    hooks): the program has not run a line, so it ends as Python ends on a Ctrl-C that
    nothing handles, by SIGINT. Out of site, the KeyboardInterrupt would end it with "Fatal
    Python error: init_import_site", exit status 1 and a traceback of ours."""
    import _signal

    _signal.signal(_signal.SIGINT, _signal.SIG_DFL)
    os.kill(os.getpid(), _signal.SIGINT)


def hand_over(site_file: str) -> None:
    """Runs the program's own sitecustomize, if any: the one after ours on the path."""
    here = os.path.dirname(os.path.abspath(site_file))
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != here]
    ours = sys.modules.pop("sitecustomize", None)
    try:
        import sitecustomize  # type: ignore[import-not-found]  # noqa: F401 (the program's own)
    except ImportError:
        if ours is not None:
            sys.modules["sitecustomize"] = ours


def boot(site_file: str) -> None:
    """site_file: our sitecustomize's __file__ (its directory leaves sys.path)."""
    start = None
    try:
        start = _prepare()
    except KeyboardInterrupt:
        ctrl_c()
    hand_over(site_file)
    if start is not None:
        try:
            start()  # last: the function trace starts here
        except KeyboardInterrupt:
            ctrl_c()
