"""The arguments the command line was invoked with, for the manifest of a scrub.

The app's root group records them in the context object before parsing, so a
command reads them from its typer context however the app was invoked:
through `callscrub.cli.run(argv)`, the console script (sys.argv), or the typer
app object directly (typer.testing.CliRunner). After parsing they cannot be
read back from the context: click consumes them as it dispatches.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import typer
from typer.core import TyperGroup


@dataclass(frozen=True)
class Invocation:
    """The whole argument list of one invocation ("scrub", CAMPAIGN, options ...)."""

    argv: tuple[str, ...]


class RecordingGroup(TyperGroup):
    """The root group: as typer's, and it sets the context object to the
    Invocation, unless the caller passed an object of its own."""

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        windows_expand_args: bool = True,
        **extra: Any,
    ) -> Any:
        """Run the app on `args` (default: sys.argv[1:], as click does)."""
        argv = tuple(sys.argv[1:] if args is None else args)
        extra.setdefault("obj", Invocation(argv))
        return super().main(
            argv, prog_name, complete_var, standalone_mode, windows_expand_args, **extra
        )


def invoked_argv(ctx: typer.Context) -> list[str]:
    """The invocation's arguments recorded by RecordingGroup; with another
    context object (a caller's own), the process's arguments."""
    obj = ctx.find_root().obj
    return list(obj.argv if isinstance(obj, Invocation) else sys.argv[1:])
