"""Consent files and screened (Bloctel return) files: read, normalised, handed to the core.

A consent file holds one record a line (phone, consent_at, optional
revoked_at and source; core.checks.consent.records_from_frame reads its
table); a row that cannot be read is counted and proves nothing. A
screened file is the caller's own list sent back by the registry with
opposed numbers marked or removed: an allow-list.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import polars as pl

from callscrub.core.checks.consent import SCHEMA, ConsentColumns, Screened, records_from_frame
from callscrub.core.quality import shape
from callscrub.errors import InputError
from callscrub.io.readers import read_table
from callscrub.io.registries import fold_name, read_number_table
from callscrub.phone import normalise as numbers
from callscrub.rules.model import RuleSet

# A screened file's status column, by name, and the statuses that mean callable.
CALLABLE_STATUSES = ("ok", "callable", "appelable", "autorise", "autorisé", "allowed", "clean")
STATUS_COLUMNS = ("status", "statut", "etat", "state", "resultat", "result", "code")


@dataclass(frozen=True)
class ConsentFile:
    """A consent file's figures: its data rows and those that cannot be read
    (number, consent_at or revoked_at), which prove nothing."""

    name: str
    rows: int
    unreadable_rows: int


def load_consent(
    sources: list[str],
    numbering: RuleSet,
    *,
    zone: str,
    default_region: str,
    columns: ConsentColumns,
    encoding: str | None,
) -> tuple[pl.DataFrame, list[ConsentFile]]:
    """All records of the files, sorted by key (stably: a number's records
    keep the files' order), and each file's figures.

    A row that cannot be read is counted and kept as "no proof" for its
    number (records_from_frame); a file with rows none of which is usable
    stops the run (InputError): it is not a consent file of these numbers.

    Sorted here, in the loading thread: the scrub's own sort by key then finds
    them sorted and copies nothing (a second copy of 7.8 M records would hold 0.3 GiB
    through the scrub)."""
    parts, files = [], []
    for s in sources:
        frame = read_table(s, encoding=encoding).frame
        name = Path(s).name
        records, bad = records_from_frame(
            frame,
            numbering,
            zone=zone,
            default_region=default_region,
            columns=columns,
            name=name,
        )
        if frame.height and bad.height == frame.height:
            raise InputError(_no_usable_row(s, frame, bad, columns, default_region))
        parts.append(records)
        files.append(ConsentFile(name, frame.height, bad.height))
    records = (
        pl.concat(parts).sort("key", maintain_order=True) if parts else pl.DataFrame(schema=SCHEMA)
    )
    return records, files


def _no_usable_row(
    source: str, frame: pl.DataFrame, bad: pl.DataFrame, columns: ConsentColumns, region: str
) -> str:
    """The message for a consent file of which no row can be read: the file,
    its row count, the first row's unreadable column and value by its shape."""
    row, what = bad.row(0)
    column = what.split(", ")[0]
    value = frame[column].cast(pl.String)[row - 1]
    shown = "empty" if value is None or not value.strip() else f"shaped {shape(value)!r}"
    return (
        f"{source}: none of its {frame.height} rows is a usable consent record"
        f" (data row {row}: {what} cannot be read; its {column} is {shown})."
        f" A consent file needs {columns.phone} (numbers without a country code are read"
        f" in region {region}) and {columns.given} as ISO 8601 (2026-03-01 or"
        " 2026-03-01T10:30:00): fix the export, or leave the file out."
    )


def load_screened(
    source: str, numbering: RuleSet, *, default_region: str, encoding: str | None
) -> Screened:
    """The screened (Bloctel return) file `source`: its numbers marked callable
    by their status column (every number, without one), and the others."""
    frame, col, _ = read_number_table(
        source, numbering, default_region=default_region, encoding=encoding
    )
    name = Path(source).name
    if col is None:
        return Screened(name, pl.Series("key", [], pl.Int64), pl.Series("key", [], pl.Int64), 0)
    norm = numbers.normalise(frame[col].cast(pl.String), numbering, default_region)
    # The status column by its name, or (no header) the column whose values are statuses.
    status_col = next(
        (c for c in frame.columns if fold_name(c) in STATUS_COLUMNS and c != col), None
    ) or next(
        (
            c
            for c in frame.columns
            if c != col
            and frame[c]
            .cast(pl.String)
            .str.strip_chars()
            .str.to_lowercase()
            .is_in(list(CALLABLE_STATUSES))
            .any()
        ),
        None,
    )
    if status_col is None:
        ok = pl.Series([True] * frame.height)
    else:
        ok = frame.select(
            pl.col(status_col)
            .cast(pl.String)
            .str.strip_chars()
            .str.to_lowercase()
            .is_in(list(CALLABLE_STATUSES))
            .fill_null(False)
        ).to_series()
    keys = norm[numbers.E164]
    return Screened(
        name=name,
        callable_keys=keys.filter(ok & keys.is_not_null()).unique().rename("key"),
        refused_keys=keys.filter(~ok & keys.is_not_null()).unique().rename("key"),
        rows=frame.height,
    )
