"""`callscrub sweep FOLDER`: after a crash, clean an output folder without scrubbing.

It completes any set of outputs a killed run left half renamed (its commit
record), then removes the temporary parts (`.NAME.callscrub-*.part`) that
killed runs left, which hold personal data. A part or record whose writer is
still running is left alone (io/parts.py proves it by the writer's lock), so
sweeping while a scrub runs is safe. Names are shown, never contents.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from callscrub.errors import InputError
from callscrub.io.parts import sweep_folder


def _counted(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def sweep_command(
    folder: Annotated[
        str, typer.Argument(metavar="FOLDER", help="A folder callscrub writes outputs to.")
    ],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Say what would be done; change nothing.")
    ] = False,
) -> None:
    """Complete an interrupted set of outputs and remove the temporary files killed runs left."""
    path = Path(folder)
    if not path.is_dir():
        raise InputError(f"{folder}: no such folder. Give the folder that holds the outputs.")
    swept = sweep_folder(path, dry_run=dry_run)
    done = "would be" if dry_run else ""
    lines: list[str] = []
    if swept.sets:
        names = ", ".join(Path(p).name for p in swept.completed) or "all were in place already"
        verb = "would complete" if dry_run else "completed"
        sets = "set" if swept.sets == 1 else f"{swept.sets} sets"
        lines.append(f"{verb} the interrupted {sets} of outputs of an interrupted run: {names}")
    if swept.unfinished:
        names = ", ".join(Path(p).name for p in swept.unfinished)
        lines.append(
            f"an interrupted set could not be completed, changed since: {names}; "
            "scrub again to replace them"
        )
    if swept.parts:
        lines.append(
            f"{_counted(swept.parts, 'temporary file')} ({swept.bytes:,} bytes) "
            f"{done + ' ' if done else ''}removed"
        )
    if swept.live:
        lines.append(f"{swept.live:,} in use by a running writer, left")
    if swept.foreign:
        lines.append(f"{swept.foreign:,} of another user, left (that user can sweep them)")
    if not lines:
        lines.append("nothing to sweep")
    sys.stderr.write(f"callscrub sweep: {folder}: {'; '.join(lines)}.\n")
