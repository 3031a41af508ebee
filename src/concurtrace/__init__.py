"""concurtrace: make Python concurrency visible.

This package is imported inside the traced program (by the child bootstrap), so
it must import nothing heavy here: no typer, rich, psutil or perfetto.
"""

__version__ = "0.1.0"
