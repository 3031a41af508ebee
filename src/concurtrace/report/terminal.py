"""The post-run summary for people: process tree, threads, findings with advice (rich, stderr).

It stays readable on big programs: alike processes, threads and findings are grouped
(groups.py), and long lists end with a count of what was left out. `summary --json`
keeps every item.
"""

from __future__ import annotations

import statistics

from rich.console import Console
from rich.text import Text
from rich.tree import Tree

from concurtrace.model.sentences import after_signal
from concurtrace.model.timeline import Process, Timeline
from concurtrace.model.units import human_duration, lifetime
from concurtrace.model.vocabulary import FindingKind
from concurtrace.report.asyncio_section import render_asyncio
from concurtrace.report.sync_section import render_sync

from .groups import FINDING_VERBS, Group, group_findings, group_processes
from .threads import state_shares, thread_status, thread_table

__all__ = ["process_status", "render", "state_shares", "thread_status"]

# Finding lines (after grouping) and thread tables at most.
MAX_FINDINGS = 15
MAX_TABLES = 8
JSON_HINT = "`concurtrace summary TRACE --json` lists every one"


def process_status(proc: Process, timeline: Timeline) -> Text:
    if proc.signal:
        by = proc.terminated_by
        killer = timeline.processes.get(by.pid) if by and by.pid else None
        who = f" ({by.reason.replace('_', ' ')}" + (f" by {killer.name})" if killer else ")") \
            if by else ""
        if by is not None and by.reason == "raised":
            who = " (raised by itself)"
        sender = timeline.processes.get(proc.handled.sender or -1) if proc.handled else None
        return Text(f"{proc.signal}{who}{after_signal(proc, sender, timeline.processes)}",
                    style="bold red")
    if proc.exit_code is None:
        return Text("exit unknown", style="yellow")
    style = "green" if proc.exit_code == 0 else "bold red"
    extra = f" ({proc.exc_type})" if proc.exc_type else ""
    if proc.end_reason == "native_exit":
        extra += " in C code"
    sender = timeline.processes.get(proc.handled.sender or -1) if proc.handled else None
    return Text(f"exit {proc.exit_code}{extra}{after_signal(proc, sender, timeline.processes)}",
                style=style)


def _process_line(group: Group[Process], timeline: Timeline) -> Text:
    procs = group.items
    proc = procs[0]
    if len(procs) == 1:
        line = Text(proc.label(), style="bold")
        line.append(f"  pid {proc.pid}", style="dim")
    else:
        pids = sorted(p.pid for p in procs)
        line = Text(f"{group.pattern} ×{len(procs)}", style="bold")
        line.append(f"  pids {pids[0]}…{pids[-1]}", style="dim")
    if proc.start_method:
        line.append(f"  {proc.start_method}", style="cyan")
    if len(procs) == 1 and proc.os_ppid is not None and proc.ppid is not None \
            and proc.os_ppid != proc.ppid:
        line.append(f"  (OS parent {proc.os_ppid})", style="dim")
    lives = [lifetime(p.started_ns, p.ended_ns) for p in procs]
    known = [x for x in lives if x is not None]
    if len(procs) == 1 or not known:
        line.append(f"  {human_duration(lives[0])}  ")
    else:
        line.append(f"  {human_duration(int(statistics.median(known)))} "
                    f"(max {human_duration(max(known))})  ")
    status = process_status(proc, timeline)
    line.append(status if len(procs) == 1 else Text(f"{status.plain} ×{len(procs)}",
                                                    style=status.style))
    if not proc.traced:
        line.append("  not traced", style="yellow")
    if len(procs) == 1 and proc.execs:  # the pid went on as another program
        done = proc.execs[-1]
        line.append(f"  exec'd {' '.join(done['argv'])[:60]}"
                    + ("" if done["traced"] else " (not traced after)"), style="cyan")
    if proc.role == "infrastructure":
        line.append("  library helper", style="dim")
    elif proc.joined is None and proc.ppid is not None and proc.pid != timeline.root_pid:
        line.append("  waited for: unknown (parent not traced)", style="dim")
    return line


def _process_groups(timeline: Timeline) -> list[Group[Process]]:
    """Depth-first like ordered_processes, alike siblings as one group."""
    def status(p: Process) -> str:
        return process_status(p, timeline).plain + ("" if p.traced else " untraced")

    siblings: dict[int | None, list[Process]] = {}
    for proc in timeline.ordered_processes():
        parent = proc.ppid if proc.ppid in timeline.processes else None
        siblings.setdefault(parent, []).append(proc)
    out: list[Group[Process]] = []
    stack = list(reversed(group_processes(siblings.get(None, []), status)))
    while stack:
        group = stack.pop()
        out.append(group)
        kids = [k for p in group.items for k in siblings.get(p.pid, [])]
        stack.extend(reversed(group_processes(kids, status)))
    return out


def render(timeline: Timeline, console: Console) -> None:
    groups = _process_groups(timeline)
    if not groups:
        console.print("No processes were recorded.")
        return
    tree: Tree | None = None
    nodes: dict[int, Tree] = {}
    for group in groups:
        label = _process_line(group, timeline)
        ppid = group.items[0].ppid
        parent = nodes.get(ppid) if ppid is not None else None
        if parent is None and tree is None:
            node = tree = Tree(label)
        else:
            node = (parent or tree).add(label)  # type: ignore[union-attr]
        for proc in group.items:
            nodes[proc.pid] = node
    console.print(Text("Process tree", style="bold underline"))
    console.print(tree)
    _threads(timeline, groups, console)
    if timeline.gil_hotspots:
        console.print(Text("\nWhere threads waited for the GIL", style="bold"))
        for spot in timeline.gil_hotspots[:5]:
            console.print(f"  {human_duration(spot.gil_ns)}  {spot.function}"
                          f"  [dim]({spot.process})[/dim]")
    render_sync(timeline, console)
    render_asyncio(timeline, console)
    _findings(timeline, console)
    for note in timeline.notes:
        console.print(Text(f"note: {note}", style="dim"))
    _sampler_line(timeline, console)


def _threads(timeline: Timeline, groups: list[Group[Process]], console: Console) -> None:
    show_states = any(t.states for p in timeline.processes.values() for t in p.threads.values())
    with_threads = [g for g in groups if any(p.threads for p in g.items)]
    for group in with_threads[:MAX_TABLES]:
        threads = [t for p in group.items for t in p.threads.values()]
        if len(group.items) == 1:
            title = f"\nThreads of {group.items[0].label()} (pid {group.items[0].pid})"
        else:
            title = f"\nThreads of {group.pattern} ({len(group.items)} processes)"
        console.print(Text(title, style="bold"))
        table, _ = thread_table(threads, show_states, len(group.items))
        console.print(table)
    left = with_threads[MAX_TABLES:]
    if left:
        count = sum(len(p.threads) for g in left for p in g.items)
        procs = sum(len(g.items) for g in left)
        console.print(Text(f"\n… threads of {procs} more processes ({count} threads): "
                           f"{JSON_HINT}", style="dim"))


def _sampler_line(timeline: Timeline, console: Console) -> None:
    stats = timeline.sampler
    if not stats.get("wall_s"):
        return
    share = float(stats.get("cpu_s", 0.0)) / float(stats["wall_s"])
    rate = f"{float(stats.get('hz_effective', 0)):.0f} Hz on average " \
           f"(asked {float(stats.get('hz_requested', 0)):.0f}"
    lowest = float(stats.get("hz_lowest", 0) or 0)
    if lowest and lowest < float(stats.get("hz_requested", 0)):
        budget = float(stats.get("cpu_budget_s", 0) or 0)
        if budget:  # the notes say whether the thread budget lowered it too
            rate += f"; the CPU budget (runnable threads >= 2 per CPU, {budget:.1f} s) " \
                    f"lowered the aim to {lowest:.0f} Hz"
        else:
            rate += f"; the thread budget lowered the aim to {lowest:.0f} Hz at " \
                    f"{float(stats.get('max_threads', 0)):.0f} threads"
    console.print(Text(f"sampler: {rate}), method {timeline.gil_method}{_kstacks(stats)}, "
                       f"its own CPU {float(stats.get('cpu_s', 0)):.2f} s = {share:.1%} of "
                       "one core", style="dim"))


def _kstacks(stats: dict[str, float]) -> str:
    return " + kernel stacks" if stats.get("kernel_stacks") else ""


def _findings(timeline: Timeline, console: Console) -> None:
    if not timeline.findings:
        console.print(Text("\nNo findings: every process and thread ended normally.",
                           style="green"))
        return
    console.print(Text("\nFindings", style="bold underline"))
    groups = group_findings(timeline)
    for group in groups[:MAX_FINDINGS]:
        worst = group.worst
        style = "bold red" if worst.severity >= 4 else "bold yellow"
        line = Text("• ", style=style)
        if len(group.findings) == 1:
            line.append(worst.message)
        else:
            verb = _verb(worst.kind)
            line.append(f"{len(group.findings)} {group.subject} {verb}"
                        + (f": {group.spread}" if group.spread else "") + ". ")
            line.append(f"{group.example}: {worst.message}", style="dim")
        if worst.advice:
            line.append(f" {worst.advice}", style="italic")
        console.print(line)
    left = groups[MAX_FINDINGS:]
    if left:
        count = sum(len(g.findings) for g in left)
        console.print(Text(f"… {count} more findings: {JSON_HINT}", style="dim"))


def _verb(kind: FindingKind) -> str:
    return FINDING_VERBS.get(kind, f"had finding {kind}")
