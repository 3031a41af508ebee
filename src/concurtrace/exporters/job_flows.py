"""asyncio's executor handoff drawn (issue 17): each call a thread pool ran for
loop.run_in_executor / asyncio.to_thread is a slice "to_thread: <function>" on an
"executor calls" child track of the worker thread, with the flows submit (the awaiting
task's step) -> the worker's call -> the step where the task resumed. A process pool's
call has no worker record: its flow goes from the submit to the resuming step."""

from __future__ import annotations

from itertools import count

from concurtrace.model.tasks import Job
from concurtrace.model.timeline import Slice


def job_slices(jobs: list[Job], pieces: dict[int, list[Slice]],
               flows: count[int]) -> dict[int, list[Slice]]:
    """worker tid -> its call slices; links them to the task slices in pieces."""
    out: dict[int, list[Slice]] = {}
    for job in sorted(jobs, key=lambda j: j.submitted_ns):
        runs = [s for s in pieces.get(job.task, []) if s.name == "running"] \
            if job.task is not None else []
        source = next((s for s in runs if s.ts <= job.submitted_ns <= s.end), None)
        call = None
        if job.worker_tid is not None and job.start is not None and job.end is not None:
            call = Slice(job.start, max(0, job.end - job.start),
                         f"{job.kind}: {job.fn.split(' (')[0]}",
                         {"function": job.fn, "submitted_at": job.site,
                          "queued_ns": job.start - job.submitted_ns})
            out.setdefault(job.worker_tid, []).append(call)
        after = job.end if call is not None and job.end is not None else (
            source.end if source is not None else job.submitted_ns)
        resumed = next((s for s in runs if s.ts >= after), None)
        chain = [piece for piece in (source, call, resumed) if piece is not None]
        for first, second in zip(chain, chain[1:], strict=False):
            flow = next(flows)
            first.flows_out = (first.flows_out or []) + [flow]
            second.flows_in = (second.flows_in or []) + [flow]
    return out
