"""The ``regie`` command line."""

from regie.cli.main import main

__all__ = ["main"]
