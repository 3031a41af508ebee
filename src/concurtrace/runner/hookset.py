"""The patch registry and the interface hooks write through (kept tiny: it runs in the target)."""

from __future__ import annotations

import sys
import threading
import time
import types
from collections.abc import Callable

from concurtrace.model.records import RawRecord, Record

TYPE_CHECKING = False  # not typing's: importing typing costs every traced process
if TYPE_CHECKING:
    from typing import Any, Protocol

# A lifecycle record (typed: built by its TypedDict), or another capture's record.
SinkRecord = Record | RawRecord


def now_ns() -> int:
    return time.monotonic_ns()


def tid() -> int:
    return threading.get_native_id()


def in_exit_function() -> bool:
    """True when called (indirectly) from multiprocessing.util._exit_function."""
    try:
        frame = sys._getframe(2)
    except ValueError:
        return False
    while frame is not None:
        code = frame.f_code
        if code.co_name == "_exit_function" and code.co_filename.endswith("util.py"):
            return True
        frame = frame.f_back  # type: ignore[assignment]
    return False


if TYPE_CHECKING:
    class Sink(Protocol):
        """What the hooks need from the process's recorder (bootstrap.Recorder)."""

        thread_exceptions: dict[int, str]
        # threads started by _thread (no threading.Thread): their ident -> native tid
        raw_threads: dict[int, int]
        terminate_flag: threading.local | None

        def write(self, record: SinkRecord) -> None: ...

        def finalize(self, reason: str) -> None: ...

        def call(self, function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
            """Calls the original function with function tracing on (our frames are not traced)."""
            ...

        @property
        def in_terminate(self) -> bool: ...

        def fatal_signal_handler(self, signum: int, frame: Any) -> None: ...

        def default_disposition(self, signum: int) -> Any:
            """signal.signal(signum, SIG_DFL) for a fatal signal: returns the previous handler."""
            ...

        def set_wakeup_fd(self, fd: int, warn_on_full_buffer: bool) -> int: ...

        def is_tracer(self, obj: Any) -> bool: ...

        def profiler_starts(self, name: str) -> None: ...

        def tracer_stops_itself(self) -> None: ...

        def handles_signal(self, signum: int) -> bool:
            """Our handler is installed for signum (the program sees SIG_DFL)."""
            ...

else:
    Sink = object  # only annotations name it


class HookSet:
    """Remembers each (owner, attribute, original) so uninstall restores exactly."""

    def __init__(self) -> None:
        self._saved: list[tuple[Any, str, Any, bool]] = []
        self._callbacks: list[Callable[[], object]] = []

    def on_uninstall(self, callback: Callable[[], object]) -> None:
        self._callbacks.append(callback)

    def patch(self, owner: Any, name: str, replacement: Any) -> None:
        had = name in vars(owner) if isinstance(owner, type) else hasattr(owner, name)
        original = vars(owner).get(name) if isinstance(owner, type) else getattr(owner, name)
        self._saved.append((owner, name, original, had))
        if callable(original) and callable(replacement):
            try:
                replacement.__wrapped__ = original
                replacement.__name__ = getattr(original, "__name__", name)
                replacement.__doc__ = getattr(original, "__doc__", None)
                # Pickled by reference as the original is (a spawn Manager's registry holds
                # threading.Lock; pool.submit(os.kill, ...)): owner.name finds the replacement.
                if isinstance(replacement, types.FunctionType):
                    replacement.__module__ = owner.__module__ if isinstance(owner, type) \
                        else getattr(owner, "__name__", replacement.__module__)
                    replacement.__qualname__ = f"{owner.__qualname__}.{name}" \
                        if isinstance(owner, type) else name
            except (AttributeError, TypeError):
                pass
        setattr(owner, name, replacement)

    def uninstall(self) -> None:
        for owner, name, original, had in reversed(self._saved):
            if had:
                setattr(owner, name, original)
            else:
                delattr(owner, name)
        self._saved.clear()
        for callback in reversed(self._callbacks):
            callback()
        self._callbacks.clear()

    def __len__(self) -> int:
        return len(self._saved)
