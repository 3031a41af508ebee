"""Lets `python -m concurtrace` work."""

from concurtrace.console import main

main()
