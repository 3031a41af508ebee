"""The `concurtrace` command (and `python -m concurtrace`): the collector is off while the
CLI starts, and a finished command leaves without the interpreter's teardown.

Start-up makes ~100 k objects (typer, click, rich, our stages) and no garbage: the cyclic
collector would walk them ~30 times before a command runs (~5-10 ms of each `--version`).
cli.main_callback turns it back on, with them frozen (never walked again), before a
command runs. Here, not in cli.py: a program or test importing the CLI keeps its collector.
"""

from __future__ import annotations

import gc
import sys


def main() -> None:
    gc.disable()
    # run's group-signal sentinel, forked while we are small (a --help anywhere, even the
    # program's own: not here, the runner spawns one if it runs)
    if sys.argv[1:2] == ["run"] and "--help" not in sys.argv:
        from concurtrace.runner.group_signals import prefork

        prefork()
    from concurtrace.cli import main as cli_main

    try:
        cli_main()
    except SystemExit as done:
        leave(done)
        raise
    leave(SystemExit(None))


def leave(done: SystemExit) -> None:
    """Ends the process with done's status as the interpreter would, without its teardown
    (module and object finalization: ~4 ms of wall time after every command), once what
    that teardown does that anyone can see is done: the non-daemon threads' end, the
    atexit handlers, the standard streams' flush. Returns (the interpreter then ends as
    ever) for anything it cannot say is the same: a status that is not a small int,
    another thread alive, -i, a stream that cannot be flushed, a Ctrl-C meanwhile."""
    try:
        _leave(done)
    except KeyboardInterrupt:  # the interpreter's exit does not raise it: its status is
        return  # done's, as it ends with what is left of its steps


def _leave(done: SystemExit) -> None:
    code = 0 if done.code is None else done.code
    if type(code) is not int or not 0 <= code <= 255 or sys.flags.inspect:
        return  # the interpreter prints a non-int status, and maps the rest
    threading = sys.modules.get("threading")
    if threading is not None:
        current = threading.current_thread()
        if any(thread is not current and not thread.daemon
               for thread in threading.enumerate()):
            return  # the interpreter waits for them, and runs atexit after
        if getattr(threading, "_threading_atexits", None):
            return  # what threading._shutdown would run (concurrent.futures' joins)
    import atexit

    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            if stream is not None:
                stream.flush()
        except (OSError, ValueError):
            return  # the interpreter's own flush says it (status 120 for stdout)
    import os

    os._exit(code)
