"""Everything after the target of `concurtrace run` is the program's, as with python.

`python -m test test_threading -m 'test_join*'` gives the second `-m` to the program. Click
reads options anywhere, so `concurtrace run -m test test_threading -m 'test_join*'` took
the second `-m` for its own (it ran the module `test_join*`). Before click parses, a `--`
goes right after the target (SCRIPT, -m MODULE or -c CODE): the program's own `-m`, `-o`,
`--help` stay its own. A `--` the user put right after the target stays the one separator
(`concurtrace run -m tool -- --flag`, as the help shows).
"""

from __future__ import annotations

# run's options that take a value (tests/test_cli.py ties this to the command's options)
VALUE_OPTIONS = frozenset({
    "-o", "--output", "--scenario", "--python", "--sample-hz", "--timeout",
    "--max-stack-depth", "--min-duration", "--include-files", "--tracer-entries",
    "--max-slices", "--sync-threshold-ms", "--asyncio-slow-ms", "--deadlock-after",
})
TARGET_OPTIONS = ("-m", "-c")


def program_args_apart(argv: list[str]) -> list[str]:
    """argv (without the program name) with a `--` after run's target, where needed."""
    if not argv or argv[0] != "run":
        return argv
    index = 1
    while index < len(argv):
        token = argv[index]
        if token == "--":
            return argv  # the user separated them already
        if token in TARGET_OPTIONS:
            end = index + 2
        elif token[:2] in TARGET_OPTIONS and len(token) > 2:
            end = index + 1  # -mmodule, -c'code'
        elif token.startswith("-") and token != "-":
            index += 2 if token in VALUE_OPTIONS else 1
            continue
        else:
            end = index + 1  # the script
        if end >= len(argv) or argv[end] == "--":
            return argv
        return [*argv[:end], "--", *argv[end:]]
    return argv
