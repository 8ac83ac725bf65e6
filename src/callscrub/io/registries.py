"""Opposition / do-not-call registry files: read an export, normalise it, keep its keys.

Exports come with or without a header, in any number format, one or several
columns. The number column is found by name, else it is the only or first
column; a first line that parses as a phone number is data, not a header.
A registry snapshot (io.snapshot) is read elsewhere: its keys stay on disk.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path

import polars as pl

from callscrub.core.checks.registry import Registry
from callscrub.errors import InputError, describe_columns
from callscrub.io.readers import read_table
from callscrub.phone import normalise as numbers
from callscrub.rules.model import RuleSet

NUMBER_COLUMN_NAMES = (
    "phone",
    "phone_number",
    "telephone",
    "tel",
    "numero",
    "numero_telephone",
    "num",
    "number",
    "msisdn",
    "e164",
    "mobile",
    "portable",
    "ligne",
    "phonenumber",
)


def fold_name(name: str) -> str:
    """A column name folded for matching: accents dropped, lower case, every
    other character an underscore, none at the ends ("Numéro de téléphone"
    is numero_de_telephone)."""
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower().strip()
    return "".join(ch if ch.isalnum() else "_" for ch in text).strip("_")


def _pick_column(columns: list[str], forced: str | None, name: str) -> str:
    """The number column of file `name`: `forced` when given (it must exist),
    else the first of NUMBER_COLUMN_NAMES present, else a column whose name
    holds a number word, else the first column."""
    if forced:
        if forced in columns:
            return forced
        raise InputError(
            f"{name}: no column {forced!r} ({describe_columns(columns)}). Fix --registry-column."
        )
    folded = {fold_name(c): c for c in columns}
    for candidate in NUMBER_COLUMN_NAMES:
        if candidate in folded:
            return folded[candidate]
    for f, original in folded.items():  # numero_de_telephone, tel_mobile, phone1...
        if any(
            word in f for word in ("phone", "tel", "numero", "msisdn", "e164", "mobile", "number")
        ):
            return original
    return columns[0]


def read_number_table(
    source: str,
    rules: RuleSet,
    *,
    default_region: str,
    column: str | None = None,
    encoding: str | None = None,
    digest: bool = False,
) -> tuple[pl.DataFrame, str | None, str]:
    """A list of numbers with or without a header, its number column and (when
    asked by `digest`) the SHA-256 of the file.

    Header or data? A first row whose number cell is a valid number, or looks
    like one (6+ digits: a malformed number is a bad row, counted), is data;
    headerless columns are named column_1, column_2...
    """
    table = read_table(source, encoding=encoding, header=False, digest=digest)
    frame = table.frame
    name = Path(source).name
    if table.format == "csv" and frame.height:
        first = frame.row(0)
        header_names = [str(v) if v is not None else f"column_{i + 1}" for i, v in enumerate(first)]
        probe_col = _pick_column(header_names, None, name) if column is None else None
        probe_idx = header_names.index(probe_col) if probe_col else 0
        probe = numbers.normalise(
            pl.Series([first[probe_idx]], dtype=pl.String), rules, default_region
        )
        cell = first[probe_idx] or ""
        looks_numeric = sum(ch.isdigit() for ch in cell) >= 6
        if column is not None or not (bool(probe[numbers.VALID][0]) or looks_numeric):
            if len(set(header_names)) != len(header_names):
                raise InputError(
                    f"{name}: the header names a column twice. Rename it or remove the header."
                )
            frame = frame.slice(1).rename(dict(zip(frame.columns, header_names, strict=True)))
        else:
            frame = frame.rename({c: f"column_{i + 1}" for i, c in enumerate(frame.columns)})
    return frame, (_pick_column(frame.columns, column, name) if frame.width else None), table.sha256


def load_registry(
    source: str,
    rules: RuleSet,
    *,
    default_region: str,
    column: str | None = None,
    encoding: str | None = None,
) -> Registry:
    """The registry in file `source` (any format `read_table` reads), its
    numbers normalised to distinct sorted E.164 keys held in memory; rows
    whose number cannot be normalised are counted, not fatal."""
    frame, col, _ = read_number_table(
        source, rules, default_region=default_region, column=column, encoding=encoding
    )
    name = Path(source).name
    if col is None:
        return Registry(name, source, pl.Series("key", [], pl.Int64), 0, 0, ())
    keys = numbers.e164_keys(frame[col].cast(pl.String), rules, default_region)
    bad = keys.to_frame().with_row_index("row", offset=1).filter(pl.col(numbers.E164).is_null())
    return Registry(
        name=name,
        path=source,
        keys=keys.drop_nulls().unique().sort().rename("key"),
        rows=frame.height,
        invalid_rows=bad.height,
        invalid_row_numbers=tuple(bad["row"].head(5).to_list()),
    )
