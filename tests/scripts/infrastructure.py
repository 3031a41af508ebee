"""multiprocessing's own helpers: a resource tracker, a forkserver, a Manager's server."""

import multiprocessing


def work() -> None:
    pass


if __name__ == "__main__":
    for method in ("spawn", "forkserver"):
        child = multiprocessing.get_context(method).Process(target=work)
        child.start()
        child.join()
    with multiprocessing.get_context("spawn").Manager() as manager:
        shared = manager.dict()
        shared["x"] = 1
