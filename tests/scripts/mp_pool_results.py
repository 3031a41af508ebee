"""Pool results (start method argv[1]): map over two workers whose last result comes
0.3 s in, apply, an apply_async get that times out, then its result, and imap's first
item (0.2 s; the second, 0.1 s, is there by then)."""

import multiprocessing as mp
import sys
import time


def slow(x: int) -> int:
    time.sleep(0.1 * x)
    return x * x


def main() -> None:
    ctx = mp.get_context(sys.argv[1] if len(sys.argv) > 1 else "fork")
    with ctx.Pool(2) as pool:
        print(pool.map(slow, [1, 2, 3], chunksize=1))
        print(pool.apply(slow, (2,)))
        later = pool.apply_async(slow, (3,))
        try:
            later.get(0.05)
        except mp.TimeoutError:
            print("timeout")
        print(later.get())
        print(list(pool.imap(slow, [2, 1])))


if __name__ == "__main__":
    main()
