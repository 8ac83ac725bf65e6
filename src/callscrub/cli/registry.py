"""`callscrub registry build`: compile registry exports into a snapshot."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from callscrub.cli.console import print_fields
from callscrub.cli.file_settings import FileSpec, parse_specs
from callscrub.cli.values import (
    Encoding,
    MaxUnusable,
    OptionalRegion,
    Quiet,
    ZipMaxMib,
    ZipMaxRatio,
    command_group,
    pack_region,
    parse_day,
    parse_region,
    unusable_error,
)
from callscrub.errors import UnusableNumbers, UsageError
from callscrub.io import archives
from callscrub.io.registries import MAX_UNUSABLE_PCT
from callscrub.io.snapshot import SourceFile, action_of, build_snapshot
from callscrub.io.writers import write_outputs
from callscrub.rules.load import load_packs, numbering_pack

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
    rules: Annotated[
        str,
        typer.Option(
            "--rules",
            metavar="PACKS",
            help="Rule packs of the scrubs the snapshot is for: national numbers without a"
            " region of their own are read in the first pack's country (default fr).",
        ),
    ] = "fr",
    default_region: OptionalRegion = None,
    encoding: Encoding = None,
    max_unusable: MaxUnusable = MAX_UNUSABLE_PCT,
    zip_max_ratio: ZipMaxRatio = archives.MAX_RATIO,
    zip_max_mib: ZipMaxMib = archives.MAX_BYTES >> 20,
    quiet: Quiet = False,
) -> None:
    """Compile registry exports into a snapshot: unique, sorted Int64 E.164 keys plus metadata."""
    if not out.lower().endswith(".parquet"):
        raise UsageError(f"{out}: a snapshot is a Parquet file; name it .parquet.")
    day = None if export_date is None else parse_day(export_date)
    froms = [_source(s, "--from") for s in parse_specs(sources, "source", "--from")]
    change_lists = [_source(s, "--changes") for s in parse_specs(changes, "changes", "--changes")]
    region = parse_region(default_region) if default_region else None
    packs = load_packs(rules)
    try:
        built = build_snapshot(
            out,
            froms,
            change_lists,
            numbering_pack(packs),
            default_region=region or pack_region(packs[0]),
            export_date=day,
            encoding=encoding,
            max_unusable=max_unusable,
            max_ratio=zip_max_ratio,
            max_bytes=zip_max_mib << 20,
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


def _source(spec: FileSpec, option: str) -> SourceFile:
    """A --from or --changes file with its own settings, checked."""
    region = spec.get("region")
    action = spec.get("action")
    if action is not None and action_of(action) is None:
        raise UsageError(
            f"{option} {spec.path}::action={action}: write action=add or action=delete."
        )
    return SourceFile(
        spec.path,
        region=parse_region(region, f"{option} {spec.path}::region=") if region else None,
        encoding=spec.get("encoding"),
        action=action,
    )
