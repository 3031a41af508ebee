"""A ThreadPoolExecutor's futures waited on every way: result(), a failing job, a
cancelled one, wait(), as_completed(); and its idle workers on the work queue."""

import concurrent.futures as cf
import threading
import time


def job(seconds, fail=False):
    time.sleep(seconds)
    if fail:
        raise ValueError("job failed")
    return seconds


with cf.ThreadPoolExecutor(2, thread_name_prefix="pool") as pool:
    fut = pool.submit(job, 0.08)
    print("result", fut.result())
    bad = pool.submit(job, 0.08, True)
    try:
        bad.result()
    except ValueError as error:
        print("raised", error)
    blockers = [pool.submit(job, 0.3), pool.submit(job, 0.3)]
    queued = pool.submit(job, 0.01)
    threading.Timer(0.08, queued.cancel).start()
    try:
        queued.result()
    except cf.CancelledError:
        print("cancelled")
    batch = [pool.submit(job, d) for d in (0.05, 0.1, 0.15)]
    done, _ = cf.wait(batch)
    print("waited for", len(done))
    late = [pool.submit(job, d) for d in (0.05, 0.1)]
    print("as completed", [f.result() for f in cf.as_completed(late)])
    time.sleep(0.1)  # the workers wait for work
    pool.submit(job, 0)
