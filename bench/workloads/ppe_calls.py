"""A ProcessPoolExecutor program with many small calls (issue 18's "real" example).

    python ppe_calls.py [TASKS]   # default 2000 tasks of ~800 calls: ~1.7 M calls
"""

from __future__ import annotations

import sys
from concurrent.futures import ProcessPoolExecutor


def leaf(x: int) -> int:
    return x * 2


def task(n: int) -> int:
    return sum(leaf(i) for i in range(400))


def main() -> None:
    tasks = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    with ProcessPoolExecutor(max_workers=2) as pool:
        print(sum(pool.map(task, range(tasks), chunksize=50)))


if __name__ == "__main__":
    main()
