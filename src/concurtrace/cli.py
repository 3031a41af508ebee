"""The command line: parse, validate, build a frozen config, call one function per command."""

import gc
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

from concurtrace import __version__
from concurtrace.errors import ConcurtraceError, UserError
from concurtrace.formats import SUFFIXES_TEXT
from concurtrace.help_speed import defer_unused_rich
from concurtrace.options import (
    DEFAULT_ASYNCIO_SLOW_MS,
    DEFAULT_DEADLOCK_AFTER_S,
    DEFAULT_SAMPLE_HZ,
    DEFAULT_SYNC_THRESHOLD_MS,
    DEFAULT_TRACER,
    TracerOptions,
)
from concurtrace.program_args import program_args_apart

if TYPE_CHECKING:
    from concurtrace.model.timeline import Timeline

# Start-up: each command imports what it needs when it runs, so `--version`, `--help` and
# `run` load no exporter, reader or renderer they do not use (tests/test_startup.py).
# No `from __future__ import annotations` here: typer would eval each option's annotation
# string twice (inspect.signature and get_type_hints), ~190 evals, at every start.

# Help and usage errors in click's plain layout (rich_markup_mode=None): the same sections,
# options and defaults, without rich's panels, whose imports (rich.console, panel, table,
# markup, ~30 ms) were a third of every `--help`. Rich stays for the summary.
defer_unused_rich()  # typer's pretty traceback of an internal error still imports rich_utils
app = typer.Typer(add_completion=True, no_args_is_help=True, rich_markup_mode=None,
                  help="Make Python concurrency visible: one true Perfetto timeline of a "
                       "script's whole process and thread tree.")


def fail(message: str, code: int = 2) -> NoReturn:
    """Said once, by main()."""
    raise UserError(message, code)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"concurtrace {__version__}")
        raise typer.Exit(0)


@app.callback()
def main_callback(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Print the version and exit.")] = False,
) -> None:
    """concurtrace run | summary | view | scenarios"""
    if not gc.isenabled():  # turned off for the start-up (console.py): on for the command
        gc.freeze()
        gc.enable()


@app.command(short_help="Run a script, module or code with its whole tree traced.")
def run(
    script: Annotated[str | None, typer.Argument(help="Script to run (default: the demo).")] = None,
    args: Annotated[list[str] | None, typer.Argument(help="Arguments for the script.")] = None,
    module: Annotated[str | None, typer.Option("-m", help="Run a module, like python -m.")] = None,
    code: Annotated[str | None, typer.Option("-c", help="Run code, like python -c.")] = None,
    scenario: Annotated[str | None, typer.Option("--scenario", help="Run a shipped scenario.")] = None,
    output: Annotated[Path | None, typer.Option("-o", "--output", help=SUFFIXES_TEXT)] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing -o file.")] = False,
    python: Annotated[str, typer.Option("--python", help="Interpreter for the target.")] = sys.executable,
    light: Annotated[bool, typer.Option("--light", help="Lifecycle + sampler only, no function tracing.")] = False,
    sample_hz: Annotated[float, typer.Option("--sample-hz", help="Thread-state sampling rate.")] = DEFAULT_SAMPLE_HZ,
    timeout: Annotated[float | None, typer.Option("--timeout", help="End the tree after SECONDS, then save.")] = None,
    max_stack_depth: Annotated[int, typer.Option("--max-stack-depth", help="Trace calls this deep at most (-1: all).")] = DEFAULT_TRACER.max_stack_depth,
    min_duration: Annotated[float, typer.Option("--min-duration", help="Drop calls shorter than this (µs).")] = DEFAULT_TRACER.min_duration,
    include_files: Annotated[list[str] | None, typer.Option("--include-files", help="Trace only code under these paths.")] = None,
    tracer_entries: Annotated[int, typer.Option("--tracer-entries", help="VizTracer ring buffer size per process.")] = DEFAULT_TRACER.tracer_entries,
    max_slices: Annotated[int | None, typer.Option("--max-slices", help="Keep at most N function calls, dropping the shortest first (lifecycle, states and sync data are kept).")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No summary.")] = False,
    keep_temp: Annotated[bool, typer.Option("--keep-temp", help="Keep the session directory.")] = False,
    open_ui: Annotated[bool, typer.Option("--open", help="Open the trace in the offline UI after the run.")] = False,
    no_sync: Annotated[bool, typer.Option("--no-sync", help="Do not record lock, condition, event, semaphore, queue and join waits.")] = False,
    sync_threshold_ms: Annotated[float, typer.Option("--sync-threshold-ms", help="Record blocking waits longer than this (ms).")] = DEFAULT_SYNC_THRESHOLD_MS,
    no_asyncio: Annotated[bool, typer.Option("--no-asyncio", help="Do not record asyncio tasks, their steps and awaits, or loop health.")] = False,
    asyncio_slow_ms: Annotated[float, typer.Option("--asyncio-slow-ms", help="A task step or callback longer than this (ms) blocked the event loop.")] = DEFAULT_ASYNCIO_SLOW_MS,
    deadlock_after: Annotated[float, typer.Option("--deadlock-after", help="Look for a deadlock while the run goes on once threads have waited this long (s).")] = DEFAULT_DEADLOCK_AFTER_S,
    stop_on_deadlock: Annotated[bool, typer.Option("--stop-on-deadlock", help="End the tree when a deadlock is found, then save.")] = False,
) -> None:
    """Run SCRIPT (or -m MODULE, -c CODE) with its whole process tree traced.

    Examples:

    \b
      concurtrace run scenarios/threads.py
      concurtrace run -m mypkg.tool -- --flag
      concurtrace run -c "import os" -o t.json
    """
    from concurtrace.cli_support import (
        check_numbers,
        check_output,
        default_output,
        scenario_path,
        target_argv,
        write_trace,
    )
    from concurtrace.runner.run import RunConfig
    from concurtrace.runner.run import run as run_traced

    if scenario is not None:
        script = str(scenario_path(scenario))
    argv, stem = target_argv(script, list(args or []), module, code)
    check_numbers(sample_hz, timeout, tracer_entries, max_stack_depth, min_duration)
    if max_slices is not None and max_slices < 0:
        fail(f"--max-slices must be zero or more, not {max_slices}")
    if not (sync_threshold_ms >= 0 and sync_threshold_ms < 1e9):
        fail(f"--sync-threshold-ms must be zero or more, not {sync_threshold_ms:g}")
    if not (asyncio_slow_ms >= 0 and asyncio_slow_ms < 1e9):
        fail(f"--asyncio-slow-ms must be zero or more, not {asyncio_slow_ms:g}")
    if not (deadlock_after > 0 and deadlock_after < 1e9):
        fail(f"--deadlock-after must be a positive number of seconds, not {deadlock_after:g}")
    if stop_on_deadlock and no_sync:
        fail("--stop-on-deadlock needs the sync records: drop --no-sync")
    out = output or default_output(stem)
    check_output(out, force or output is None)
    tracer = TracerOptions(max_stack_depth=max_stack_depth, min_duration=min_duration,
                           include_files=include_files or None, tracer_entries=tracer_entries)
    config = RunConfig(target_argv=argv, python=python, light=light, sample_hz=sample_hz,
                       timeout_s=timeout, keep_temp=keep_temp, tracer=tracer,
                       max_slices=max_slices, sync=not no_sync,
                       sync_threshold_ms=sync_threshold_ms, asyncio=not no_asyncio,
                       asyncio_slow_ms=asyncio_slow_ms, deadlock_after_s=deadlock_after,
                       stop_on_deadlock=stop_on_deadlock)
    from concurtrace.cli_support import Spinner

    with Spinner(enabled=not quiet) as spinner:
        try:
            result = run_traced(config, spinner.update,  # SavingAbandoned: said by main()
                                also_import=_used_after_the_run(out, quiet))
        except OSError as error:
            fail(f"cannot start {python}: {error.strerror or error}")
        spinner.update(f"writing {out}")
        try:
            write_trace(result.timeline, out)
        except KeyboardInterrupt:
            fail(f"saving abandoned (Ctrl-C): {out} was not written", 130)
        except OSError as error:
            fail(f"cannot write {out}: {error.strerror or error}")
    if not quiet:
        from rich.console import Console

        from concurtrace.report.terminal import render

        render(result.timeline, Console(stderr=True))
    else:  # the summary shows them among its notes; data lost is said even with --quiet
        for warning in result.warnings:
            typer.echo(f"concurtrace: warning: {warning}", err=True)
    if result.session_dir.exists():  # --keep-temp (or CONCURTRACE_KEEP_TEMP)
        typer.echo(f"concurtrace: session directory kept in {result.session_dir}", err=True)
    typer.echo(f"concurtrace: trace written to {out}", err=True)
    typer.echo(f"concurtrace: open it with `concurtrace view {out}` "
               "(offline) or at https://ui.perfetto.dev", err=True)
    if open_ui:
        view(out, port=None, no_browser=False)
    raise typer.Exit(result.outcome.exit_code)


@app.command()
def summary(
    trace: Annotated[Path, typer.Argument(help=f"A {SUFFIXES_TEXT} trace.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the JSON summary.")] = False,
) -> None:
    """Summarise a saved trace without re-running it. Example: concurtrace summary t.pftrace --json"""
    from concurtrace.model.serialize import timeline_to_dict

    timeline = _load_trace(trace)
    if as_json:
        import json

        typer.echo(json.dumps(timeline_to_dict(timeline), indent=1))
        return
    from rich.console import Console

    from concurtrace.report.terminal import render

    render(timeline, Console())


@app.command()
def view(
    trace: Annotated[Path, typer.Argument(help=f"A {SUFFIXES_TEXT} trace.")],
    port: Annotated[int | None, typer.Option("--port", help="Port on 127.0.0.1.")] = None,
    no_browser: Annotated[bool, typer.Option("--no-browser", help="Print the URL only.")] = False,
) -> None:
    """Serve the trace in the offline Perfetto UI on 127.0.0.1. Example: concurtrace view t.pftrace"""
    from concurtrace.exporters.readback import check_whole
    from concurtrace.view import serve

    check_whole(trace)  # the whole file, so a cut or corrupt trace is refused, not half-loaded
    serve(trace, port, not no_browser, False)


@app.command(short_help="Gate CI on a trace: exit 1 listing what it violates.")
def check(
    trace: Annotated[Path, typer.Argument(help=f"A {SUFFIXES_TEXT} trace.")],
    max_gil_wait: Annotated[float | None, typer.Option("--max-gil-wait", help="Fail when a thread waited more than this share of its lifetime for the GIL (0-1).")] = None,
    no_daemon_kill: Annotated[bool, typer.Option("--no-daemon-kill", help="Fail when a daemon process was killed at exit.")] = False,
    no_abandoned_threads: Annotated[bool, typer.Option("--no-abandoned-threads", help="Fail when a daemon thread was abandoned.")] = False,
    no_nonzero_exit: Annotated[bool, typer.Option("--no-nonzero-exit", help="Fail on a non-zero exit, a crash or an exception in a thread.")] = False,
    no_deadlock: Annotated[bool, typer.Option("--no-deadlock", help="Fail when a deadlock was found.")] = False,
) -> None:
    """Gate CI on a trace: exit 1 listing what violates the conditions.

    Example: concurtrace check t.pftrace --max-gil-wait 0.3 --no-daemon-kill
    """
    from concurtrace.report.check import Gate, violations

    if max_gil_wait is not None and not 0 <= max_gil_wait <= 1:
        fail("--max-gil-wait is a share between 0 and 1, e.g. 0.3")
    timeline = _load_trace(trace)
    found = violations(timeline, Gate(max_gil_wait, no_daemon_kill, no_abandoned_threads,
                                      no_nonzero_exit, no_deadlock))
    for line in found:
        typer.echo(f"FAIL {line}")
    if found:
        raise typer.Exit(1)
    typer.echo(f"ok: {trace} passes every condition")


@app.command()
def scenarios() -> None:
    """List the shipped scenarios. Run one with: concurtrace run --scenario NAME"""
    from concurtrace.scenarios import scenarios as gallery

    for scenario in gallery():
        typer.echo(f"{scenario.name:28} {scenario.description}")


def _used_after_the_run(out: Path, quiet: bool) -> tuple[str, ...]:
    """What run() writes and prints with: imported while the program runs."""
    from concurtrace.formats import DEFAULT_FORMAT, by_suffix

    writer = (by_suffix(out.suffix) or DEFAULT_FORMAT).module
    return (writer,) if quiet else (writer, "rich.console", "concurtrace.report.terminal")


def _load_trace(trace: Path) -> "Timeline":
    """The saved trace's timeline, for the commands that read one (TraceReadError: a file
    that is not a trace)."""
    from concurtrace.exporters.readback import read_trace

    timeline = read_trace(trace)
    if not timeline.processes:  # a JSON list of anything parses as a foreign trace
        fail(f"{trace} holds no process: not a trace of a program run")
    return timeline


def main() -> None:
    try:
        app(args=program_args_apart(sys.argv[1:]), prog_name="concurtrace")
    except ConcurtraceError as error:  # the one place an error is said
        typer.echo(f"concurtrace: error: {error}", err=True)
        sys.exit(error.exit_code)
    finally:
        # The interpreter's collections at exit would walk every object the imports made
        # (typer, rich, the model: ~20 ms of each command); all our output is written and
        # our files are closed by now, so nothing waits on them.
        gc.freeze()
