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
from callscrub.errors import InputError, UnusableNumbers, describe_columns, shape_of
from callscrub.io.readers import read_table
from callscrub.io.workbooks import WORKBOOK_FORMATS
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

# The share of rows without a usable number a file may hold, in percent, unless
# the caller allows more: a registry read with the wrong region or column
# lists nothing and lets every listed number through.
MAX_UNUSABLE_PCT = 1.0

# Regions tried on a file's unusable numbers, to name the one that reads them
# (national numbers of the countries whose rules callscrub ships, and France's
# neighbours). +1 numbers read the same in the US and Canada: US comes first.
GUESSED_REGIONS = ("US", "CA", "GB", "IT", "ES", "FR", "BE", "CH", "DE", "LU", "NL", "PT", "MC")


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
    sheet: str | None = None,
) -> tuple[pl.DataFrame, str | None, str]:
    """A list of numbers with or without a header, its number column and (when
    asked by `digest`) the SHA-256 of the file.

    Header or data? A first row whose number cell is a valid number, or looks
    like one (6+ digits: a malformed number is a bad row, counted), is data;
    headerless columns are named column_1, column_2...
    """
    table = read_table(source, encoding=encoding, header=False, digest=digest, sheet=sheet)
    frame = table.frame
    name = Path(source).name
    if table.format in ("csv", *WORKBOOK_FORMATS) and frame.height:
        first = frame.row(0)
        header_names = [str(v) if v is not None else f"column_{i + 1}" for i, v in enumerate(first)]
        probe_col = _pick_column(header_names, None, name) if column is None else None
        probe_idx = header_names.index(probe_col) if probe_col else 0
        probe = numbers.normalise(
            pl.Series([first[probe_idx]], dtype=pl.String), rules, default_region
        )
        cell = first[probe_idx] or ""
        # 6+ digits in the number cell, or digits and no letter in the whole
        # row (`212,7360000`): no header is spelled so.
        looks_numeric = sum(ch.isdigit() for ch in cell) >= 6 or (
            any(ch.isdigit() for v in first if v for ch in v)
            and not any(ch.isalpha() for v in first if v for ch in v)
        )
        if column is not None or not (bool(probe[numbers.VALID][0]) or looks_numeric):
            if len(set(header_names)) != len(header_names):
                raise InputError(
                    f"{name}: the header names a column twice. Rename it or remove the header."
                )
            frame = frame.slice(1).rename(dict(zip(frame.columns, header_names, strict=True)))
        else:
            frame = frame.rename({c: f"column_{i + 1}" for i, c in enumerate(frame.columns)})
    return frame, (_pick_column(frame.columns, column, name) if frame.width else None), table.sha256


def usable_keys(
    source: str,
    frame: pl.DataFrame,
    column: str | None,
    rules: RuleSet,
    *,
    kind: str,
    default_region: str,
    max_unusable: float | None,
    allow_empty: bool = False,
) -> pl.Series:
    """The E.164 keys of the numbers in `frame[column]` (null where a row's
    number is unusable; empty without a column), once `check_usable` has
    found them usable enough: every file of numbers is read this way."""
    if column is None:
        keys = pl.Series("key", [], pl.Int64)
    else:
        keys = numbers.e164_keys(frame[column].cast(pl.String), rules, default_region)
    check_usable(
        source,
        frame,
        column,
        keys,
        rules,
        kind=kind,
        default_region=default_region,
        max_unusable=max_unusable,
        allow_empty=allow_empty,
    )
    return keys


def check_usable(
    source: str,
    frame: pl.DataFrame,
    column: str | None,
    keys: pl.Series,
    rules: RuleSet,
    *,
    kind: str,
    default_region: str,
    max_unusable: float | None,
    allow_empty: bool = False,
) -> None:
    """Raise UnusableNumbers when file `source` (read as `frame`, its numbers in
    `column`, their keys `keys`: null where unusable) gives no usable number,
    or more unusable rows than `max_unusable` percent of its rows. A file
    without rows passes only when `allow_empty` (a change list with no change).
    `max_unusable=None` checks nothing (the counts are the caller's to judge)."""
    if max_unusable is None:
        return
    rows, unusable = frame.height, int(keys.null_count())
    if rows == 0 and allow_empty:
        return
    if rows and unusable < rows and unusable * 100 <= max_unusable * rows:
        return
    first_row = shape = row_shape = None
    hint, region = "text", None
    if rows and column is not None:
        raw = frame[column].cast(pl.String)
        bad = keys.is_null()
        nonempty = bad & raw.str.strip_chars().fill_null("").ne("")
        # The first unusable value that is not empty tells more than a blank cell.
        index = int((nonempty if nonempty.any() else bad).arg_max() or 0)
        first_row = index + 1
        cells = [None if v is None else str(v) for v in frame.row(index)]
        value = cells[frame.columns.index(column)]
        shape = shape_of(value)
        row_shape = (
            ",".join(shape_of(v, 20) if v else "" for v in cells) if frame.width > 1 else None
        )
        hint, region = _hint(value, cells, raw.filter(nonempty).head(50), rules, default_region)
    raise UnusableNumbers(
        source,
        kind=kind,
        column=column,
        rows=rows,
        unusable=unusable,
        first_row=first_row,
        shape=shape,
        row_shape=row_shape,
        max_unusable=max_unusable,
        default_region=default_region,
        hint=hint,
        region=region,
    )


def _hint(
    value: str | None,
    cells: list[str | None],
    sample: pl.Series,
    rules: RuleSet,
    default_region: str,
) -> tuple[str, str | None]:
    """What the first unusable value suggests (UnusableNumbers.hint), and the
    region that reads most of `sample` (unusable values) when one reads 80 %."""
    text = value or ""
    digits = sum(ch.isdigit() for ch in text)
    if digits < 6:
        row_digits = sum(ch.isdigit() for v in cells if v for ch in v)
        if not any(ch.isalpha() for ch in text) and row_digits >= 8:
            return "split", None
        return "text", None
    best, best_count = None, 0
    for region in GUESSED_REGIONS:
        if region == default_region or len(sample) == 0:
            continue
        count = len(sample) - numbers.e164_keys(sample, rules, region).null_count()
        if count > best_count:
            best, best_count = region, count
    return "region", best if best_count * 5 >= 4 * len(sample) and best_count else None


def load_registry(
    source: str,
    rules: RuleSet,
    *,
    default_region: str,
    column: str | None = None,
    encoding: str | None = None,
    max_unusable: float | None = MAX_UNUSABLE_PCT,
    sheet: str | None = None,
) -> Registry:
    """The registry in file `source` (any format `read_table` reads), its
    numbers normalised to distinct sorted E.164 keys held in memory. Rows
    whose number cannot be normalised are counted; a file without any usable
    number, or with more than `max_unusable` percent of its rows unusable,
    raises UnusableNumbers (`None`: only count them)."""
    default_region = default_region.upper()
    frame, col, _ = read_number_table(
        source, rules, default_region=default_region, column=column, encoding=encoding, sheet=sheet
    )
    name = Path(source).name
    keys = usable_keys(
        source,
        frame,
        col,
        rules,
        kind="registry",
        default_region=default_region,
        max_unusable=max_unusable,
    )
    if col is None:
        return Registry(name, source, keys, 0, 0, ())
    bad = keys.to_frame().with_row_index("row", offset=1).filter(pl.col(numbers.E164).is_null())
    return Registry(
        name=name,
        path=source,
        keys=keys.drop_nulls().unique().sort().rename("key"),
        rows=frame.height,
        invalid_rows=bad.height,
        invalid_row_numbers=tuple(bad["row"].head(5).to_list()),
    )
