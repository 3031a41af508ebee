"""Tracing never changes signals: a child terminated right after fork still dies by SIGTERM."""

from __future__ import annotations

from pathlib import Path

from traced import summary_json, trace_run

EARLY_TERMINATE = """
import multiprocessing as mp, signal, time
def work():
    time.sleep(2)
if __name__ == "__main__":
    ctx = mp.get_context("fork")
    codes = []
    for _ in range(25):
        p = ctx.Process(target=work)
        p.start()
        p.terminate()  # lands in the child's first microseconds, often inside fork itself
        p.join()
        codes.append(p.exitcode)
    print("codes", sorted(set(codes)))
    print("handler", signal.getsignal(signal.SIGTERM) == signal.SIG_DFL)
"""


def test_sigterm_right_after_fork_is_never_lost(tmp_path: Path) -> None:
    script = tmp_path / "early.py"
    script.write_text(EARLY_TERMINATE)
    run = trace_run(tmp_path / "e.pftrace", str(script))
    assert run.returncode == 0, run.stderr
    assert "codes [-15]" in run.stdout, run.stdout  # an exit code 0 would be a lost signal
    assert "handler True" in run.stdout, "the program must see its own signal disposition"
    children = [p for p in summary_json(run.trace)["processes"] if p["name"] != "MainProcess"]
    assert len(children) == 25
    assert {p["signal"] for p in children} == {"SIGTERM"}
