"""Input checks and output writing for the CLI, kept out of cli.py so it stays a thin layer."""

from __future__ import annotations

import math
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from concurtrace.errors import UserError
from concurtrace.formats import DEFAULT_FORMAT, SUFFIXES_TEXT, by_suffix
from concurtrace.gc_pause import paused_gc

if TYPE_CHECKING:  # `run` imports the model while the program runs (runner/run.py)
    from concurtrace.model.timeline import Timeline


class Spinner:
    """A stderr spinner for post-run steps; silent with --quiet or when not a terminal."""

    def __init__(self, enabled: bool) -> None:
        self.status: Any = None
        if enabled and sys.stderr.isatty():
            from rich.console import Console

            self.status = Console(stderr=True).status("")

    def update(self, message: str) -> None:
        if self.status is not None:
            self.status.update(f"concurtrace: {message}")
            self.status.start()

    def __enter__(self) -> Spinner:
        return self

    def __exit__(self, *_exc: object) -> None:
        if self.status is not None:
            self.status.stop()


def target_argv(script: str | None, args: list[str], module: str | None,
                code: str | None) -> tuple[list[str], str]:
    """The interpreter arguments for the target, and a stem for the default output name."""
    if sum(x is not None for x in (module, code)) > 1:
        raise UserError("give only one of -m MODULE and -c CODE")
    if module is not None or code is not None:
        extra = ([script] if script is not None else []) + args
        if module is not None:
            return ["-m", module, *extra], module.rsplit(".", 1)[-1]
        return ["-c", str(code), *extra], "code"
    if script is None:
        from concurtrace.scenarios import DEFAULT_SCENARIO, SCENARIO_DIR  # (it imports ast)

        script = str(SCENARIO_DIR / f"{DEFAULT_SCENARIO}.py")
    path = Path(script)
    if not path.exists():
        raise UserError(f"no such script: {script}")
    if path.is_dir():
        raise UserError(f"{script} is a directory, not a script (use -m for a package)")
    if not os.access(path, os.R_OK):
        raise UserError(f"cannot read {script}: permission denied")
    return [str(path), *args], path.stem


def default_output(stem: str) -> Path:
    """traces/<stem>-<time>.pftrace; a run started in the same second gets -2, -3, ..."""
    base = Path("traces") / f"{stem}-{time.strftime('%Y%m%d-%H%M%S')}"
    suffix = DEFAULT_FORMAT.suffix
    path, number = base.with_suffix(suffix), 1
    while path.exists():
        number += 1
        path = Path(f"{base}-{number}{suffix}")
    return path


def check_output(path: Path, overwrite: bool) -> None:
    """Fails before the run, not after it, when the trace could not be written."""
    if by_suffix(path.suffix) is None:
        raise UserError(f"unknown trace format {path.suffix!r}: use {SUFFIXES_TEXT}")
    if path.exists() and not overwrite:
        raise UserError(f"{path} exists: use --force to overwrite it")
    if path.is_dir():
        raise UserError(f"{path} is a directory")
    parent = path.parent if str(path.parent) else Path(".")
    if path.parent == Path("traces") and not parent.exists():
        parent.mkdir(parents=True, exist_ok=True)
    if not parent.is_dir():
        raise UserError(f"output directory {parent} does not exist")
    # os.access says yes to root everywhere, and /proc, /sys or an immutable directory
    # still refuse: only creating a file there tells (the trace is written the same way).
    try:
        fd, probe = tempfile.mkstemp(prefix=f".{path.name}.", dir=parent)
    except OSError as error:
        raise UserError(f"output directory {parent} is not writable "
                        f"({error.strerror or error})") from None
    os.close(fd)
    os.unlink(probe)


def check_numbers(sample_hz: float, timeout: float | None, tracer_entries: int,
                  max_stack_depth: int, min_duration: float) -> None:
    """Zero, negative, nan and inf are refused where they make no sense."""
    if not (math.isfinite(sample_hz) and sample_hz > 0):
        raise UserError(f"--sample-hz must be a positive number, not {sample_hz:g}")
    if timeout is not None and not (math.isfinite(timeout) and timeout > 0):
        raise UserError(f"--timeout must be a positive number of seconds, not {timeout:g}")
    if tracer_entries <= 0:
        raise UserError(f"--tracer-entries must be positive, not {tracer_entries}")
    if max_stack_depth < -1:
        raise UserError(f"--max-stack-depth must be -1 (all) or more, not {max_stack_depth}")
    if not (math.isfinite(min_duration) and min_duration >= 0):
        raise UserError(f"--min-duration must be zero or more microseconds, not {min_duration:g}")


def write_trace(timeline: Timeline, path: Path) -> None:
    """Writes atomically: a temp file in the same directory, then rename."""
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent or Path("."))
    try:
        with paused_gc():
            found = by_suffix(path.suffix) or DEFAULT_FORMAT
            write = found.writer()
            with (os.fdopen(fd, "wb") if found.binary
                  else os.fdopen(fd, "w", encoding="utf-8")) as stream:
                write(timeline, stream)
        os.chmod(temp, 0o644)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def scenario_path(name: str) -> Path:
    from concurtrace.scenarios import find, scenarios

    found = find(name)
    if found is None:
        names = ", ".join(sc.name for sc in scenarios())
        raise UserError(f"no scenario {name!r}; choose one of: {names}")
    return found.path
