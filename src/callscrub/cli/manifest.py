"""`callscrub manifest show`: read an audit manifest."""

from __future__ import annotations

from typing import Annotated

import typer

from callscrub.audit.manifest import describe, load_manifest
from callscrub.cli.console import print_fields
from callscrub.cli.values import command_group

manifest_app = command_group("Read audit manifests.")


@manifest_app.command("show")
def manifest_show(manifest_file: Annotated[str, typer.Argument(metavar="MANIFEST")]) -> None:
    """A readable summary of a manifest."""
    print_fields(f"manifest {manifest_file}", describe(load_manifest(manifest_file), manifest_file))
