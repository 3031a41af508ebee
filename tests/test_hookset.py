"""HookSet.uninstall restores exactly what install patched (the symmetric pair of
runner/hookset.py), alone and for every patch runner/hooks.py installs."""

from __future__ import annotations

import subprocess
import sys
import types

from concurtrace.runner.hookset import HookSet


def test_uninstall_restores_patched_and_added_attributes_in_reverse() -> None:
    class Owner:
        def method(self) -> str:
            return "original"

    module = types.ModuleType("fake")
    setattr(module, "function", len)  # noqa: B010 - a module made up here
    done: list[str] = []
    hooks = HookSet()
    hooks.on_uninstall(lambda: done.append("first"))
    hooks.on_uninstall(lambda: done.append("second"))
    original = vars(Owner)["method"]
    hooks.patch(Owner, "method", lambda self: "patched")
    hooks.patch(Owner, "added", 1)
    hooks.patch(module, "function", abs)
    hooks.patch(module, "function", min)  # patched twice: the first original comes back
    assert Owner().method() == "patched" and len(hooks) == 4
    hooks.uninstall()
    assert vars(Owner)["method"] is original and not hasattr(Owner, "added")
    assert getattr(module, "function") is len  # noqa: B009
    assert done == ["second", "first"] and len(hooks) == 0


ROUND_TRIP = """
import threading
from concurtrace.runner import hooks as hooks_module

class Sink:
    thread_exceptions = {}
    terminate_flag = None
    in_terminate = False
    config = {}
    def __getattr__(self, name):
        return lambda *args, **kwargs: None

hooks = hooks_module.install(Sink())
saved = list(hooks._saved)
assert len(saved) > 20, len(saved)
hooks.uninstall()
for owner, name, original, had in saved:
    now = vars(owner).get(name) if isinstance(owner, type) else getattr(owner, name, None)
    assert (now is original) if had else not hasattr(owner, name), (owner, name)
threading.Thread(target=print, args=("ok",)).start()
"""


def test_every_hook_installed_is_uninstalled() -> None:
    done = subprocess.run([sys.executable, "-c", ROUND_TRIP], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"
