"""What the asyncio hooks execute per request of the echo, counted, not timed (issue 17).

    .venv/bin/python bench/asyncio_ops.py [--requests 2000]
    PYTHONPATH=/tmp/old/src .venv/bin/python bench/asyncio_ops.py   # another tree

Runs bench/workloads/asyncio_echo.py's request loop in this process with only
runner/hooks_asyncio installed (the --light path, records encoded to /dev/null) under
sys.settrace with opcode events, and prints the bytecodes and Python calls of
concurtrace's code per request, the program's and asyncio's beside them, and which of our
functions they are in. A count does not move with the machine's load as CPU time does (a
C call counts as one bytecode, so it is a proxy, not a cost). The loop counters' sampling
is time-based and tracing slows the run tenfold: it is put off here, for both trees.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from pathlib import Path
from types import FrameType
from typing import Any

sys.path.insert(0, str(Path(__file__).parent / "workloads"))
sys.path.insert(0, str(Path(__file__).parent))
import asyncio_echo  # noqa: E402
from asyncio_steps import NullSink  # noqa: E402

from concurtrace.runner import hooks_asyncio_steps as steps  # noqa: E402
from concurtrace.runner.hooks_asyncio import install_asyncio  # noqa: E402
from concurtrace.runner.hookset import HookSet  # noqa: E402

OURS = "/concurtrace/"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--walks", type=int, help="--light's await naming: this many a ms "
                        "(-1: every step's, as the default mode); the refill is put off "
                        "with the counters' sampling, so N means N walks in all")
    args = parser.parse_args()
    if args.walks is not None:
        steps.WALKS = 2**62 if args.walks < 0 else args.walks
    try:  # the loop counters' module, since the asyncfast cut
        from concurtrace.runner import hooks_asyncio_loop as counters
    except ImportError:
        counters = steps  # type: ignore[assignment]
    counters.SAMPLE_NS = 10**15  # see the docstring
    if hasattr(counters, "CHECK_NS"):
        counters.CHECK_NS = 10**15
    ops: dict[str, int] = {}
    calls: dict[str, int] = {}
    other = [0]

    def tracer(frame: FrameType, event: str, _arg: Any) -> Any:
        if event == "call":
            frame.f_trace_opcodes = True
        code = frame.f_code
        if OURS not in code.co_filename:
            if event == "opcode":
                other[0] += 1
            return tracer
        key = f"{os.path.basename(code.co_filename)}:{code.co_name}"
        if event == "call":
            calls[key] = calls.get(key, 0) + 1
        elif event == "opcode":
            ops[key] = ops.get(key, 0) + 1
        return tracer

    hooks = HookSet()
    install_asyncio(hooks, NullSink())  # type: ignore[arg-type]
    sys.stdout = open(os.devnull, "w")  # the workload's LOOP_NS line
    sys.settrace(tracer)
    asyncio.run(asyncio_echo.main(args.requests, 50))
    sys.settrace(None)
    hooks.uninstall()
    sys.stdout = sys.__stdout__
    n = args.requests
    print(f"per request: ours {sum(ops.values()) / n:.0f} bytecodes in "
          f"{sum(calls.values()) / n:.2f} calls; the program and asyncio {other[0] / n:.0f} "
          f"bytecodes ({steps.__file__})")
    for key in sorted(ops, key=lambda k: -ops[k])[:8]:
        print(f"  {key:48} {calls.get(key, 0) / n:6.2f} calls {ops[key] / n:7.1f} bytecodes")


if __name__ == "__main__":
    main()
