"""The thread-pool work-item hooks (runner/hooks_asyncio_executor, installed at the first
thread-pool run_in_executor): CPU per submit+result of a no-op on a 1-worker pool, plain,
hooked (a work item not made for a job: one more frame in __init__ and run), and hooked
with a job (as run_in_executor: the job set around submit, the call timed, a record to a
no-op sink). In one process, interleaved, 5 rounds of 20k; medians printed.
Run: .venv/bin/python bench/executor_workitems.py"""

from __future__ import annotations

import concurrent.futures.thread as thread_module
import sys
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent.parent / "src"))
from concurtrace.runner import hooks_asyncio_executor as executor  # noqa: E402
from concurtrace.runner.hookset import HookSet  # noqa: E402

CALLS = 20000


class NullSink:
    def call(self, function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        return function(*args, **kwargs)

    def write(self, record: object) -> None:
        pass


def per_call_us(submit: Callable[[], Future[int]]) -> float:
    start = time.process_time()
    for _ in range(CALLS):
        submit().result()
    return (time.process_time() - start) / CALLS * 1e6


def main() -> None:
    pool = ThreadPoolExecutor(1)

    def plain() -> Future[int]:
        return pool.submit(int)

    def with_job() -> Future[int]:  # as run_in_executor does
        executor._submitting.job = 1
        try:
            return pool.submit(int)
        finally:
            executor._submitting.job = None

    per_call_us(plain)  # warm up
    results: dict[str, list[float]] = {"plain": [], "hooked": [], "hooked, a job": []}
    for _round in range(5):
        results["plain"].append(per_call_us(plain))
        hooks = HookSet()
        executor._install_work_items(hooks, NullSink(), thread_module)
        results["hooked"].append(per_call_us(plain))
        results["hooked, a job"].append(per_call_us(with_job))
        hooks.uninstall()
    print(f"CPython {sys.version.split()[0]}, CPU us per submit+result, 5 x {CALLS}")
    for name, values in results.items():
        values.sort()
        print(f"{name:14} median {values[2]:5.1f}  (all: "
              f"{', '.join(f'{v:.1f}' for v in values)})")
    pool.shutdown()


if __name__ == "__main__":
    main()
