"""One traced run, start to finish: session -> launch + sample -> collect -> Timeline."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from concurtrace.errors import ConcurtraceError
from concurtrace.gc_pause import paused_gc
from concurtrace.options import (
    DEFAULT_ASYNCIO_SLOW_MS,
    DEFAULT_DEADLOCK_AFTER_S,
    DEFAULT_SAMPLE_HZ,
    DEFAULT_SYNC_THRESHOLD_MS,
    TracerOptions,
)
from concurtrace.runner.launch import Launcher, RunOutcome
from concurtrace.runner.prefetch import Prefetch
from concurtrace.runner.session import create_session
from concurtrace.runner.watchers import Watchers

if TYPE_CHECKING:
    from concurtrace.model.records import Record
    from concurtrace.model.sampled import SampleResult
    from concurtrace.model.sources import Observed
    from concurtrace.model.timeline import Timeline

# What only the post-run steps use: imported while the program runs (runner/prefetch.py),
# then by run() itself (already loaded by then, unless the prefetch could not run). Not
# before the target's spawn: what is imported before it delays its start.
POST_RUN_MODULES = ("concurtrace.model.records", "concurtrace.model.timeline",
                    "concurtrace.model.build", "concurtrace.model.analysis",
                    "concurtrace.model.budget",
                    "concurtrace.model.lifecycle", "concurtrace.model.tasks",
                    "concurtrace.model.tasks_analysis", "concurtrace.runner.collect",
                    "concurtrace.runner.merge_pool", "concurtrace.model.deadlock",
                    "concurtrace.model.sync", "concurtrace.runner.livedeadlock")
# With function tracing, the big dumps' typed decoder (msgspec: ~10 ms of imports), once the
# program has run long enough to leave big ones.
DUMP_MODULES = ("concurtrace.runner.vizdecode",)


class SavingAbandoned(ConcurtraceError):
    """Ctrl-C during the post-run steps; the session directory holds what was captured."""

    exit_code = 130

    def __init__(self, directory: Path) -> None:
        super().__init__(f"saving abandoned (Ctrl-C): no trace written; the raw per-process "
                         f"data is kept in {directory}")
        self.directory = directory


class RunConfig(NamedTuple):  # plain types, not dataclasses: ~0.5 ms less each at start-up
    target_argv: list[str]  # what follows the interpreter: ["script.py", ...], ["-m", ...]
    python: str = sys.executable
    light: bool = False
    sample_hz: float = DEFAULT_SAMPLE_HZ
    timeout_s: float | None = None
    keep_temp: bool = False
    tracer: TracerOptions = TracerOptions()
    max_slices: int | None = None  # size budget: keep the longest function calls
    sync: bool = True
    sync_threshold_ms: float = DEFAULT_SYNC_THRESHOLD_MS
    asyncio: bool = True
    asyncio_slow_ms: float = DEFAULT_ASYNCIO_SLOW_MS
    deadlock_after_s: float = DEFAULT_DEADLOCK_AFTER_S  # the live detector looks at waits this old
    stop_on_deadlock: bool = False


class RunResult:
    def __init__(self, timeline: Timeline, outcome: RunOutcome, warnings: list[str],
                 session_dir: Path) -> None:
        self.timeline, self.outcome, self.warnings = timeline, outcome, warnings
        self.session_dir = session_dir


Progress = Callable[[str], None]


def _silent(_message: str) -> None:
    pass


def run(config: RunConfig, progress: Progress = _silent,
        also_import: tuple[str, ...] = ()) -> RunResult:
    """progress(message) is told each long post-run step (the CLI shows a spinner);
    also_import: modules the caller uses after the run (its exporter), imported while
    the program runs, as the post-run stages are."""
    session = create_session({"light": config.light, "tracer": config.tracer.to_config(),
                              "sync": config.sync,
                              "sync_threshold_ns": int(config.sync_threshold_ms * 1e6),
                              "asyncio": config.asyncio,
                              "asyncio_slow_ns": int(config.asyncio_slow_ms * 1e6)},
                             config.keep_temp)
    warnings: list[str] = []
    watchers = Watchers(config, session.directory)
    try:
        launcher = Launcher([config.python, *config.target_argv], session.env(dict(os.environ)),
                            config.timeout_s, _tell_interrupt)
        launcher.on_root_exit = progress
        # The watchdog, the sampler and the live deadlock detector (their imports: ~15 ms)
        # start while the target's interpreter starts; it runs the program once they run.
        launcher.before_go = lambda: watchers.start(launcher)
        prefetch = Prefetch(POST_RUN_MODULES + also_import,
                            later=() if config.light else DUMP_MODULES)
        launcher.on_spawned = prefetch.start
        try:
            outcome = launcher.run()
        finally:
            watchers.tree_ended()
            prefetch.join()
        watchdog, sampler, live = watchers.watchdog, watchers.sampler, watchers.live
        assert watchdog is not None and sampler is not None  # started, or run() raised
        watchdog.stop()
        from concurtrace.model.analysis import analyse
        from concurtrace.model.build import build_timeline
        from concurtrace.model.deadlock import deadlock_report
        from concurtrace.model.lifecycle import add_lifecycle
        from concurtrace.model.records import lifecycle_records, read_session
        from concurtrace.model.sync import build_sync
        from concurtrace.model.tasks import build_tasks
        from concurtrace.model.tasks_analysis import loop_counters
        from concurtrace.runner.collect import find_traces
        from concurtrace.runner.livedeadlock import mark_live, print_lines
        from concurtrace.runner.merge_pool import pool_merger

        progress("reading what each process captured")
        records = read_session(session.directory)
        sync = build_sync(records, config.sync, int(config.sync_threshold_ms * 1e6))
        printed = frozenset(live.reported) if live is not None else frozenset()
        # at once, before the (maybe long) merge; a cycle printed live is not said twice
        print_lines(deadlock_report(sync, records, printed))
        lifecycle = lifecycle_records(records)
        for record in lifecycle:  # free-threaded builds: no GIL to wait for
            if record["ev"] == "hello" and record.get("gil") == "disabled":
                sampler.mark_gil_disabled(int(record["pid"]))
        with paused_gc():  # merging the samples makes many small objects, as the build does
            sample = sampler.stop()
        traces = find_traces(session.directory, warnings)
        megabytes = sum(files.size for files in traces.values()) / 1e6
        progress(f"merging {len(traces)} process traces ({megabytes:,.0f} MB)")
        observed = _observed(sample, outcome, watchdog.deliveries)
        with paused_gc():
            timeline = build_timeline(records, traces, observed, outcome.root_pid,
                                      outcome.started_ns, outcome.ended_ns, pool_merger(traces))
        timeline.sync = sync
        timeline.asyncio = build_tasks(records, config.asyncio, int(config.asyncio_slow_ms * 1e6))
        timeline.counters = list(sample.counters)
        timeline.gil_method = sample.gil_method
        timeline.notes.extend(sample.notes)
        timeline.sampler = sample.stats.as_summary()
        if timeline.gil == "disabled":
            timeline.notes.append("GIL disabled (free-threaded build): no thread waits for it")
        timeline.counters.extend(loop_counters(timeline))
        add_lifecycle(timeline, records)
        timeline.notes.extend(_subinterpreter_notes(lifecycle))
        timeline.notes.extend(_trace_error_notes(lifecycle))
        timeline.notes.extend(warnings)
        if outcome.timed_out:
            timeline.notes.append(f"stopped by --timeout after {config.timeout_s:g} s")
        if outcome.deadlock_stop and live is not None and live.reported:
            found_s = (min(live.reported.values()) - outcome.started_ns) / 1e9
            timeline.notes.append(f"stopped by --stop-on-deadlock: a deadlock was found "
                                  f"{found_s:.1f} s after the start")
        analyse(timeline)
        if live is not None:
            mark_live(timeline.sync_summary, live.reported)
        _size_checks(timeline, config.max_slices, warnings)
        return RunResult(timeline, outcome, warnings, session.directory)
    except KeyboardInterrupt:
        session.keep = True  # Ctrl-C while saving: keep the raw data instead of a trace
        raise SavingAbandoned(session.directory) from None
    finally:
        watchers.stop_watchdog()
        session.cleanup()


def _subinterpreter_notes(records: list[Record]) -> list[str]:
    """Sitecustomize leaves one record per sub-interpreter, which it does not trace."""
    counts: dict[int, int] = {}
    for record in records:
        if record["ev"] == "subinterpreter":
            counts[int(record["pid"])] = counts.get(int(record["pid"]), 0) + 1
    return [f"code in {n} sub-interpreter(s) of pid {pid} ran untraced (lifecycle and "
            "sampled states of its threads are kept; no function slices)"
            for pid, n in sorted(counts.items())]


def _trace_error_notes(records: list[Record]) -> list[str]:
    """A process whose function trace did not start or could not be saved: its lifecycle,
    sampled states and sync records are still there, its function slices are not."""
    return [f"pid {record['pid']}: {record['error']} (its lifecycle, states and waits are "
            "kept; no function slices)" for record in records if record["ev"] == "trace_error"
            ] + [f"pid {record['pid']}: VizTracer stopped tracing its function calls before the "
                 "process ended (its warning 'Unexpected function return, tracing is stopped' "
                 "is kept out of the program's stderr; CPython 3.11 reports some coroutine returns "
                 "without their call, and so do greenlet switches, as gevent's and eventlet's): "
                 "the calls after that moment are missing, its lifecycle, "
                 "states, waits and tasks are kept" for record in records
                 if record["ev"] == "trace_stopped" and not record.get("profiler")
                 ] + [_profiler_note(record) for record in records
                      if record["ev"] == "trace_stopped" and record.get("profiler")]


def _profiler_note(record: Record) -> str:
    assert record["ev"] == "trace_stopped"
    where = f"in thread {record['tid']}" if record.get("tid") else "in the whole process"
    return (f"pid {record['pid']}: the program started a profiler of its own "
            f"({record.get('profiler')}); one profiler runs at a time, so its function calls "
            f"{where} are missing from then on (its lifecycle, states, waits and tasks are "
            "kept)")


def _size_checks(timeline: Timeline, max_slices: int | None, warnings: list[str]) -> None:
    """The budget, then whether the Perfetto UI can load what is left: said in the summary's
    notes and, with --quiet, on stderr."""
    from concurtrace.model.budget import engine_warning, keep_longest

    said = [keep_longest(timeline, max_slices) if max_slices is not None else None,
            engine_warning(timeline)]
    for line in said:
        if line is not None:
            timeline.notes.append(line)
            warnings.append(line)


def _tell_interrupt(count: int) -> None:
    message = ("\nconcurtrace: Ctrl-C reached the program; waiting for its processes to end "
               "(Ctrl-C again to stop them now and save what was captured)\n" if count == 1 else
               "\nconcurtrace: stopping the tree; saving what was captured\n")
    os.write(2, message.encode())


def _observed(sample: SampleResult, outcome: RunOutcome,
              deliveries: list[tuple[int, int, int]]) -> Observed:
    from concurtrace.model.sources import Observed

    return Observed(processes=dict(sample.processes), threads=dict(sample.threads),
                    states=dict(sample.states), reaped=dict(outcome.statuses),
                    sends=list(outcome.sends), deliveries=list(deliveries))
