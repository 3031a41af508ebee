"""Lets `python -m concurtrace` work."""

from concurtrace.cli import main

main()
