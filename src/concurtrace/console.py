"""The `concurtrace` command (and `python -m concurtrace`): the collector is off while the
CLI starts.

Start-up makes ~100 k objects (typer, click, rich, our stages) and no garbage: the cyclic
collector would walk them ~30 times before a command runs (~5-10 ms of each `--version`).
cli.main_callback turns it back on, with them frozen (never walked again), before a
command runs. Here, not in cli.py: a program or test importing the CLI keeps its collector.
"""

from __future__ import annotations

import gc


def main() -> None:
    gc.disable()
    from concurtrace.cli import main as cli_main

    cli_main()
