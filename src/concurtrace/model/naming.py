"""Names a user recognises for processes: the multiprocessing name, the script, the command."""

from __future__ import annotations

import os
import re

# Helper processes a library starts for itself, recognised by the module their `-c` code
# runs: named as what they are, they are not the user's to join or wait for.
MP_HELPERS = {
    "multiprocessing.forkserver": "forkserver (multiprocessing)",
    "multiprocessing.resource_tracker": "resource tracker (multiprocessing)",
    "multiprocessing.semaphore_tracker": "semaphore tracker (multiprocessing)",
    "loky.backend.resource_tracker": "resource tracker (loky)",  # also joblib.externals.loky
}
HELPER_NAMES = frozenset(MP_HELPERS.values())
# multiprocessing.managers starts its server as Process(target=type(self)._run_server).
MANAGER_TARGET = re.compile(r"multiprocessing\.managers\.\w+\._run_server")
MANAGER_NAME = re.compile(r"\w*Manager-\d+(:\d+)*")


def infrastructure_role(name: str, mp_name: str | None, target: str | None) -> str | None:
    """"infrastructure" for a library's own helper process, else None."""
    if name in HELPER_NAMES:
        return "infrastructure"
    if target is not None:
        return "infrastructure" if MANAGER_TARGET.fullmatch(target) else None
    if mp_name and MANAGER_NAME.fullmatch(mp_name):  # untraced: only its name is known
        return "infrastructure"
    return None
PYTHON_FLAGS_WITH_VALUE = {"-W", "-X", "--check-hash-based-pycs"}


def is_python(path: str) -> bool:
    """Whether an executable (a path, argv[0] or a process name) looks like a Python
    interpreter: python3, python3.12-dbg, /usr/bin/ipython, pypy3. The one such check:
    naming, the sampler (which then looks for _PyRuntime) and the portable loop use it."""
    base = os.path.basename(path).lower()
    return "python" in base or base.startswith("pypy")


def python_target(argv: list[str]) -> tuple[str, str] | None:
    """("script"|"-m"|"-c", value) for a Python command line, or None."""
    index = 1
    while index < len(argv):
        arg = argv[index]
        if arg in ("-c", "-m"):
            return (arg, argv[index + 1] if index + 1 < len(argv) else "")
        if arg.startswith("-c") and len(arg) > 2:
            return ("-c", arg[2:])
        if arg.startswith("-m") and len(arg) > 2:
            return ("-m", arg[2:])
        if arg in PYTHON_FLAGS_WITH_VALUE:
            index += 2
            continue
        if arg.startswith("-") and arg != "-":
            index += 1
            continue
        return ("script", arg)
    return None


def process_name(is_root: bool, mp_name: str | None, argv: list[str], comm: str | None) -> str:
    if is_root:
        return "MainProcess"
    if mp_name:
        return mp_name
    if argv and is_python(argv[0]):
        target = python_target(argv)
        if target is None:
            return "python"
        kind, value = target
        if kind == "-c":
            helper = next((n for key, n in MP_HELPERS.items() if key in value), None)
            return helper or "python -c"
        if kind == "-m":
            return f"python -m {value}"
        return os.path.basename(value)
    if comm:
        return comm
    return os.path.basename(argv[0]) if argv else "?"
