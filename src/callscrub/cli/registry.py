"""`callscrub registry build`: compile registry exports into a snapshot."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from callscrub.cli.console import print_fields
from callscrub.cli.values import (
    DefaultRegion,
    Encoding,
    MaxUnusable,
    Quiet,
    command_group,
    parse_day,
    parse_region,
    unusable_error,
)
from callscrub.errors import UnusableNumbers, UsageError
from callscrub.io.registries import MAX_UNUSABLE_PCT
from callscrub.io.snapshot import build_snapshot
from callscrub.io.writers import write_outputs
from callscrub.rules.load import load_rules

registry_app = command_group(
    "Registry snapshots: compile exports once, scrub against them many times."
)


@registry_app.command("build")
def registry_build(
    out: Annotated[str, typer.Argument(metavar="OUT.parquet", help="The snapshot to write.")],
    sources: Annotated[
        list[str],
        typer.Option(
            "--from", metavar="FILE", help="An export or an earlier snapshot (repeatable)."
        ),
    ],
    changes: Annotated[
        list[str] | None,
        typer.Option(
            "--changes",
            metavar="FILE",
            help="A change list: additions and deletions (repeatable, applied in order).",
        ),
    ] = None,
    export_date: Annotated[
        str | None,
        typer.Option(
            "--export-date",
            metavar="DATE",
            help="When the exports were obtained (default: the oldest file date).",
        ),
    ] = None,
    default_region: DefaultRegion = "FR",
    encoding: Encoding = None,
    max_unusable: MaxUnusable = MAX_UNUSABLE_PCT,
    quiet: Quiet = False,
) -> None:
    """Compile registry exports into a snapshot: unique, sorted Int64 E.164 keys plus metadata."""
    if not out.lower().endswith(".parquet"):
        raise UsageError(f"{out}: a snapshot is a Parquet file; name it .parquet.")
    day = None if export_date is None else parse_day(export_date)
    try:
        built = build_snapshot(
            out,
            sources,
            list(changes or []),
            load_rules("fr"),
            default_region=parse_region(default_region),
            export_date=day,
            encoding=encoding,
            max_unusable=max_unusable,
        )
    except UnusableNumbers as exc:
        # Exports and change lists have no column option here: their number
        # column is found by name, else the first.
        raise unusable_error(exc, column_option=None) from None
    write_outputs([(built["bytes"], out)])
    if not quiet:
        meta = built["meta"]
        print_fields(
            f"snapshot {out}",
            [("numbers", f"{meta['numbers']:,}"), ("export date", str(meta["export_date"]))]
            + [
                (
                    s["file"],
                    ", ".join(
                        f"{k} {v}" for k, v in s.items() if k not in ("file", "sha256", "sources")
                    ),
                )
                for s in meta["sources"]
            ],
            stream=sys.stderr,
        )
