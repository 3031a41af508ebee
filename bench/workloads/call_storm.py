"""Recursive function-call storm: N calls in total (argv[1], default 1,000,000)."""

import sys


def f(n: int) -> int:
    return n if n < 2 else f(n - 1) + 1


if __name__ == "__main__":
    total = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    for _ in range(total // 20):
        f(20)
