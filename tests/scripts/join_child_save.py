"""A parent that join()s a spawn child which made many calls, as a DataLoader's shutdown
joins its persistent workers: under concurtrace the child saves its function trace after
its program is done, inside that join (a spawn worker that imported torch took ~3 s)."""

import multiprocessing as mp


def step(i: int) -> int:
    return i


def work() -> None:
    for i in range(50_000):
        step(i)


if __name__ == "__main__":
    child = mp.get_context("spawn").Process(target=work, name="worker")
    child.start()
    child.join()
    print("joined", child.exitcode)
