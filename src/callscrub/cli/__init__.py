"""The command line: a thin typer shell over the library."""

from callscrub.cli.commands import app, main, run

__all__ = ["app", "main", "run"]
