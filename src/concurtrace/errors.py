"""The one error the CLI reports: a one-line message and an exit status. cli.main catches
it once and prints `concurtrace: error: <message>`; never a traceback. Standard library
only (`--help` imports it)."""

from __future__ import annotations


class ConcurtraceError(Exception):
    """A failure the user can act on, said in one line."""

    exit_code = 2

    def __init__(self, message: str, exit_code: int | None = None) -> None:
        super().__init__(message)
        if exit_code is not None:
            self.exit_code = exit_code


class UserError(ConcurtraceError):
    """Bad input (an option, a path, a scenario name): exit status 2."""
