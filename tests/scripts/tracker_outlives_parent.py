"""A program that starts multiprocessing's resource tracker and ends at once, as a short
SharedMemoryManager program does (its __init__ starts the tracker, bpo-36867): the tracker
is a fresh interpreter that outlives its parent, which never waits for it (3.11-3.12), so
it is reparented to the subreaper (concurtrace's runner) before its tracer says hello."""

from multiprocessing import resource_tracker

resource_tracker.ensure_running()
print("started", flush=True)
