"""libc calls through `_ctypes` alone: sigaction(2) for sigwatch.ResetHand (in every traced
process), prctl(2) for launch.become_subreaper (in concurtrace, before the target's spawn).

`import ctypes` costs ~1.6 ms (6.8 M instructions) over `_ctypes` (its module body: the
c_* types, CDLL, the struct and endian modules); the simple types, the struct and the
functions needed here are made from `_ctypes` directly, as ctypes/__init__.py makes them.
Runs inside the traced program: nothing printed, ever.
"""

from __future__ import annotations

import _ctypes

TYPE_CHECKING = False  # not typing's: importing typing costs every traced process
if TYPE_CHECKING:
    from typing import Any


class VoidP(_ctypes._SimpleCData):  # type: ignore[type-arg]  # ctypes.c_void_p
    _type_ = "P"


class UByte(_ctypes._SimpleCData):  # type: ignore[type-arg]  # ctypes.c_ubyte
    _type_ = "B"


class UInt(_ctypes._SimpleCData):  # type: ignore[type-arg]  # ctypes.c_uint
    _type_ = "I"


class Int(_ctypes._SimpleCData):  # type: ignore[type-arg]  # ctypes.c_int
    _type_ = "i"


class Sigaction(_ctypes.Structure):  # the kernel's layout on x86-64 and aarch64
    _fields_ = [("handler", VoidP), ("mask", UByte * 128), ("flags", UInt),
                ("restorer", VoidP)]


class _CFunction(_ctypes.CFuncPtr):  # what ctypes.CDLL(None, use_errno=True) makes
    _flags_ = _ctypes.FUNCFLAG_CDECL | _ctypes.FUNCFLAG_USE_ERRNO
    _restype_ = Int


class _Library:  # CFuncPtr((name, library)) reads library._handle, as CDLL has it
    def __init__(self, handle: int) -> None:
        self._handle = handle


byref = _ctypes.byref


def libc_function(name: str) -> Any:
    """As ctypes.CDLL(None, use_errno=True)[name]: int arguments, an int result. Raises
    OSError or AttributeError when the process has no such symbol."""
    this_process: Any = None  # dlopen(NULL): the program and the libraries it loaded
    library: Any = _Library(_ctypes.dlopen(this_process, 0))
    return _CFunction((name, library))


def load_sigaction() -> Any:
    """sigaction(signum, new, old) -> int, its struct pointers typed (libc_function's
    errors)."""
    function = libc_function("sigaction")
    pointer = _ctypes.POINTER(Sigaction)
    function.argtypes = [Int, pointer, pointer]
    return function
