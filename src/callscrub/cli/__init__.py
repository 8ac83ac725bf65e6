"""The command line: a thin typer shell over the library, one module per command."""

from callscrub.cli.main import app, main, run

__all__ = ["app", "main", "run"]
