"""Per-step cost of the asyncio hooks alone (issue 17), in one process, paired.

    .venv/bin/python bench/asyncio_steps.py [--rounds 6] [--requests 10000]

Runs bench/workloads/asyncio_echo.py's request loop in this process, alternating plain
and with only runner/hooks_asyncio installed (a recorder that encodes each record as the
real one does, to /dev/null; no tracer, no sampler, no other hooks). CPU time per round;
prints the medians, the ratio and the cost per task step.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import struct
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent / "workloads"))
import asyncio_echo  # noqa: E402

from concurtrace.model.records import RecordWriter  # noqa: E402
from concurtrace.runner.hooks_asyncio import install_asyncio  # noqa: E402
from concurtrace.runner.hookset import HookSet  # noqa: E402


class NullSink:
    def __init__(self) -> None:
        self.config: dict[str, Any] = {"light": True}  # the hook calls the callback itself
        self.writer = RecordWriter(os.devnull)
        self.steps = 0

    def write(self, record: dict[str, Any]) -> None:
        record.setdefault("pid", 1)
        self.steps += len(record.get("rows") or ())
        packed = record.get("packed")  # the common rows, base64 (not decoded: its cost
        if isinstance(packed, str):  # would count as the hooks')
            size = struct.calcsize("<" + record.get("pfmt", "q" * 8))
            self.steps += (len(packed) * 3 // 4 - packed.count("=", -2)) // size
        self.writer.write(record)

    def write_ascii(self, record: dict[str, Any], key: str, text: str) -> None:
        """As the recorder's (bootstrap.Recorder.write_ascii): text spliced, not escaped."""
        record.setdefault("pid", 1)
        self.steps += len(record.get("rows") or ())
        size = struct.calcsize("<" + record.get("pfmt", "q" * 8))
        self.steps += (len(text) * 3 // 4 - text.count("=", -2)) // size
        self.writer.write_ascii(record, key, text)

    def call(self, function: Any, *args: Any, **kwargs: Any) -> Any:
        return function(*args, **kwargs)

    def finalize(self, reason: str) -> None:
        pass


def _round(requests: int) -> float:
    start = time.process_time()
    asyncio.run(asyncio_echo.main(requests, 50))
    return time.process_time() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--requests", type=int, default=10_000)
    parser.add_argument("--json", help="write the raw times here")
    parser.add_argument("--walks", type=int, help="--light's await naming: this many a ms "
                        "(-1: every step's, as the default mode)")
    args = parser.parse_args()
    if args.walks is not None:
        from concurtrace.runner import hooks_asyncio_steps
        hooks_asyncio_steps.WALKS = 2**62 if args.walks < 0 else args.walks
    plain: list[float] = []
    hooked: list[float] = []
    steps = 0
    sys.stdout = open(os.devnull, "w")  # the workload's LOOP_NS lines
    for _ in range(args.rounds):
        plain.append(_round(args.requests))
        hooks, sink = HookSet(), NullSink()
        install_asyncio(hooks, sink)  # type: ignore[arg-type]
        hooked.append(_round(args.requests))
        hooks.uninstall()
        steps = sink.steps
    sys.stdout = sys.__stdout__
    p, h = statistics.median(plain), statistics.median(hooked)
    print(f"plain {p:.3f} s  hooks {h:.3f} s  x{h / p:.3f}  {steps} steps  "
          f"{(h - p) / max(steps, 1) * 1e6:.2f} us/step  ({args.rounds} rounds, "
          f"{sys.version.split()[0]})")
    if args.json:
        Path(args.json).write_text(json.dumps({"plain_s": plain, "hooks_s": hooked,
                                               "steps": steps, "python": sys.version}))


if __name__ == "__main__":
    main()
