"""The `concurtrace` command (and `python -m concurtrace`): the collector is off while the
CLI starts.

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

    cli_main()
