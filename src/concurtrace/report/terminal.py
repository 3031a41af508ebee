"""The post-run summary for people: process tree, threads, findings with advice (rich, stderr)."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table
from rich.text import Text
from rich.tree import Tree

from concurtrace.model.analysis import human_duration, lifetime
from concurtrace.model.timeline import STATE_KEYS, Process, Thread, Timeline
from concurtrace.report.sync_section import render_sync

STATE_SHORT = {"running": "run", "runqueue": "cpu-wait", "gil": "GIL", "lock": "lock",
               "sleep": "sleep", "io": "I/O", "child": "child", "other": "other"}


def process_status(proc: Process, timeline: Timeline) -> Text:
    if proc.signal:
        by = proc.terminated_by
        killer = timeline.processes.get(by.pid) if by and by.pid else None
        who = f" ({by.reason.replace('_', ' ')}" + (f" by {killer.name})" if killer else ")") \
            if by else ""
        return Text(f"{proc.signal}{who}", style="bold red")
    if proc.exit_code is None:
        return Text("exit unknown", style="yellow")
    style = "green" if proc.exit_code == 0 else "bold red"
    extra = f" ({proc.exc_type})" if proc.exc_type else ""
    return Text(f"exit {proc.exit_code}{extra}", style=style)


def thread_status(thread: Thread) -> Text:
    if thread.abandoned:
        return Text("abandoned at exit", style="bold yellow")
    if thread.exc_type:
        return Text(f"raised {thread.exc_type}", style="bold red")
    if thread.end_reason == "process_exit":
        return Text("ended with process", style="dim")
    return Text("returned", style="green")


def _process_line(proc: Process, timeline: Timeline) -> Text:
    line = Text(proc.label(), style="bold")
    line.append(f"  pid {proc.pid}", style="dim")
    if proc.start_method:
        line.append(f"  {proc.start_method}", style="cyan")
    if proc.os_ppid is not None and proc.ppid is not None and proc.os_ppid != proc.ppid:
        line.append(f"  (OS parent {proc.os_ppid})", style="dim")
    line.append(f"  {human_duration(lifetime(proc.started_ns, proc.ended_ns))}  ")
    line.append(process_status(proc, timeline))
    if not proc.traced:
        line.append("  not traced", style="yellow")
    return line


def _thread_table(proc: Process, show_states: bool) -> Table:
    table = Table(box=None, pad_edge=False, show_header=True, header_style="dim")
    for column in ("thread", "tid", "daemon", "lifetime", "ended"):
        table.add_column(column)
    if show_states:
        table.add_column("time in state")
    for thread in sorted(proc.threads.values(), key=lambda t: (not t.is_main, t.started_ns or 0)):
        row = [thread.name, str(thread.tid), "yes" if thread.daemon else "",
               human_duration(lifetime(thread.started_ns, thread.ended_ns))]
        cells: list[str | Text] = [*row, thread_status(thread)]
        if show_states:
            cells.append(_state_shares(thread))
        table.add_row(*cells)
    return table


def _state_shares(thread: Thread) -> str:
    totals = thread.states_ns()
    whole = sum(totals.values())
    if not whole:
        return ""
    queued = thread.gil_queued_ns() / whole  # part of the GIL share, shown apart
    parts = []
    for key in STATE_KEYS:
        if totals[key] / whole >= 0.01:
            extra = f" (queued {queued:.0%})" if key == "gil" and queued >= 0.01 else ""
            parts.append(f"{STATE_SHORT[key]} {totals[key] / whole:.0%}{extra}")
    return ", ".join(parts)


def render(timeline: Timeline, console: Console) -> None:
    tree: Tree | None = None
    nodes: dict[int, Tree] = {}
    for proc in timeline.ordered_processes():
        label = _process_line(proc, timeline)
        parent = nodes.get(proc.ppid) if proc.ppid is not None else None
        if parent is None and tree is None:
            node = tree = Tree(label)
        else:
            node = (parent or tree).add(label)  # type: ignore[union-attr]
        nodes[proc.pid] = node
    if tree is None:
        console.print("No processes were recorded.")
        return
    console.print(Text("Process tree", style="bold underline"))
    console.print(tree)
    show_states = any(t.states for p in timeline.processes.values() for t in p.threads.values())
    for proc in timeline.ordered_processes():
        if proc.threads:
            console.print(Text(f"\nThreads of {proc.label()} (pid {proc.pid})", style="bold"))
            console.print(_thread_table(proc, show_states))
    if timeline.gil_hotspots:
        console.print(Text("\nWhere threads waited for the GIL", style="bold"))
        for spot in timeline.gil_hotspots[:5]:
            console.print(f"  {human_duration(int(str(spot['gil_ns'])))}  {spot['function']}"
                          f"  [dim]({spot['process']})[/dim]")
    render_sync(timeline, console)
    _findings(timeline, console)
    for note in timeline.notes:
        console.print(Text(f"note: {note}", style="dim"))
    stats = timeline.sampler
    if stats.get("wall_s"):
        share = float(stats.get("cpu_s", 0.0)) / float(stats["wall_s"])
        console.print(Text(f"sampler: {float(stats.get('hz_effective', 0)):.0f} Hz "
                           f"(asked {float(stats.get('hz_requested', 0)):.0f}), "
                           f"method {timeline.gil_method}{_kstacks(stats)}, its own CPU "
                           f"{float(stats.get('cpu_s', 0)):.2f} s = {share:.1%} of one core",
                           style="dim"))


def _kstacks(stats: dict[str, float]) -> str:
    return " + kernel stacks" if stats.get("kernel_stacks") else ""


def _findings(timeline: Timeline, console: Console) -> None:
    if not timeline.findings:
        console.print(Text("\nNo findings: every process and thread ended normally.",
                           style="green"))
        return
    console.print(Text("\nFindings", style="bold underline"))
    for finding in timeline.findings:
        style = "bold red" if finding.severity >= 4 else "bold yellow"
        line = Text("• ", style=style)
        line.append(finding.message)
        if finding.advice:
            line.append(f" {finding.advice}", style="italic")
        console.print(line)
