"""A parent joins its worker before taking the worker's result off a multiprocessing Queue.

What it demonstrates: the deadlock the Python docs warn about under "Joining processes
that use queues". q.put() only appends to a buffer; the worker's feeder thread writes
the pickled result into the queue's pipe, and a result larger than the pipe (64 KiB)
waits for a reader. A process cannot end before its feeder has flushed, so the parent's
join() waits for the worker, the worker's exit waits for its feeder, and the feeder waits
for the parent to read, which it would do only after the join. Run it with a timeout:
`concurtrace run --timeout 3 --scenario mp_queue_join_deadlock`.

What to look for:
- On stderr, the moment the run is stopped: "MainThread in MainProcess waits for
  Process@mp_queue_join_deadlock.py:47 (worker) to end, which waits for Thread
  QueueFeederThread to end, which waits for MainThread in MainProcess to read
  mp.Queue@mp_queue_join_deadlock.py:46".
- The "deadlock" finding with its advice (take the items off the queue before join()).
- The worker's "QueueFeederThread sync" track: "waiting for a reader of mp.Queue@..."
  to the end of the run; its MainThread's "waiting for Thread QueueFeederThread to end"
  (multiprocessing's exit joining the feeder), the parent's "waiting for Process@... to end".
The fix is one line: `result = q.get()` before `worker.join()`.
"""

import multiprocessing

EXPECT = {
    "exit_code": -15,
    "timeout_s": 3,
    "processes": [{"name": "MainProcess", "parent": None, "signal": "SIGTERM"},
                  {"name": "worker", "parent": "MainProcess", "signal": "SIGTERM"}],
    "threads": [{"process": "worker", "name": "QueueFeederThread"}],
    "findings": ["deadlock"],
    "sync_slices": [
        {"track_regex": "QueueFeederThread sync", "min_count": 1,
         "name_regex": r"waiting for a reader of mp\.Queue@mp_queue_join_deadlock\.py:46"},
        {"track_regex": "MainThread sync", "min_count": 1,
         "name_regex": r"waiting for Process@mp_queue_join_deadlock\.py:47 \(worker\) to end"}],
}


def work(q: "multiprocessing.queues.Queue[str]") -> None:
    q.put("result " * 200_000)  # 1.4 MB: more than the pipe holds


def main() -> None:
    ctx = multiprocessing.get_context("fork")
    q = ctx.Queue()
    worker = ctx.Process(target=work, args=(q,), name="worker")
    worker.start()
    print("worker started; the parent joins it before reading its result", flush=True)
    worker.join()  # never returns: take the result first (q.get()), then join
    print(len(q.get()))


if __name__ == "__main__":
    main()
