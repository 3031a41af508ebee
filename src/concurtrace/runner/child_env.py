"""A child's environment keeps our sitecustomize's directory on its PYTHONPATH.

Every Python of the tree traces itself through that PYTHONPATH entry (runner/session.py),
and each traced process takes the entry off its own sys.path (runner/sitestart.py). A
program that builds its children's PYTHONPATH from sys.path (twisted's `trial -j`:
`environ["PYTHONPATH"] = os.pathsep.join(sys.path)`) then passed CONCURTRACE_SESSION on
but not the entry: its workers ran untraced. When the environment given to a child still
carries our session, the entry goes back at its PYTHONPATH's head, as every traced child
has it; an environment without our session (the program cleared it) is left alone.
"""

from __future__ import annotations

import os

TYPE_CHECKING = False  # not typing's: importing typing (re, enum) costs every traced process
if TYPE_CHECKING:
    from typing import Any

SESSION = "CONCURTRACE_SESSION"


def keep_site(env: Any) -> Any:
    """env, or a copy of it with our site directory back on its PYTHONPATH."""
    session = os.environ.get(SESSION)
    if not session or not hasattr(env, "get") or not hasattr(env, "keys"):  # a mapping
        return env
    try:
        if env.get(SESSION) != session:  # not ours (or bytes keys): as the program made it
            return env
        path = env.get("PYTHONPATH") or ""
    except Exception:  # noqa: BLE001 - a mapping of the program's that fails: leave it be
        return env
    site = os.path.join(session, "site")
    if not isinstance(path, str) or site in path.split(os.pathsep):
        return env
    fixed = dict(env)
    fixed["PYTHONPATH"] = site + (os.pathsep + path if path else "")
    return fixed
