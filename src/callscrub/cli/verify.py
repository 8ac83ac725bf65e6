"""`callscrub verify MANIFEST`: replay a recorded scrub and compare its outputs."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from callscrub.audit.verify import verify


def verify_command(
    manifest_file: Annotated[
        str, typer.Argument(metavar="MANIFEST", help="A manifest written by callscrub scrub.")
    ],
    inputs_dir: Annotated[
        str | None,
        typer.Option(
            "--inputs-dir", metavar="DIR", help="Where to look for the inputs if they moved."
        ),
    ] = None,
    strict_versions: Annotated[
        bool,
        typer.Option(
            "--strict-versions", help="Fail when package versions differ from the recorded ones."
        ),
    ] = False,
) -> None:
    """Check every input's hash, replay the scrub and compare the outputs byte for byte."""
    # The replay runs the whole command line again, in this process.
    from callscrub.cli.main import run

    checked = verify(
        manifest_file,
        inputs_dir=inputs_dir,
        strict_versions=strict_versions,
        run=run,
        warn=lambda text: sys.stderr.write(f"callscrub: warning: {text}\n"),
    )
    for line in checked:
        sys.stderr.write(f"{line}\n")
    sys.stderr.write("verified: the outputs are reproduced byte for byte\n")
