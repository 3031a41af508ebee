"""A program hung on a Future (CPython 3.11's ProcessPoolExecutor with max_tasks_per_child
hangs this way): its worker waits for an Event nobody sets. Run with --timeout."""

import threading
from concurrent.futures import ThreadPoolExecutor

never = threading.Event()
with ThreadPoolExecutor(1) as pool:
    fut = pool.submit(never.wait)
    print("waiting", flush=True)
    fut.result()
