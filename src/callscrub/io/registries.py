"""Opposition / do-not-call registry files: read an export, normalise it, keep its keys.

Exports come with or without a header, in any number format, one or several
columns. The number column is found by name, else it is the only or first
column; a first line that parses as a phone number is data, not a header.
A registry snapshot (io.snapshot) is read elsewhere: its keys stay on disk.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from callscrub.core.checks.registry import KEY_BATCH, OPPOSITION, Registry
from callscrub.errors import (
    CallscrubError,
    InputError,
    UnusableNumbers,
    describe_columns,
    shape_of,
)
from callscrub.io import archives, layouts
from callscrub.io.headers import HISTORY_PHONE_NAMES, recognised
from callscrub.io.readers import (
    GZIP_MAGIC,
    _gunzip,
    frame_of_bytes,
    read_bytes,
    read_table,
)
from callscrub.io.streams import StreamRefused, open_stream
from callscrub.io.workbooks import WORKBOOK_FORMATS
from callscrub.phone import normalise as numbers
from callscrub.rules.model import RuleSet

# The number column's headers: the shared lists of io.headers (whole names,
# folded), so a registry and the campaign agree on what names a phone column
# (`Numéro client` is an id, not a number), plus the names registry exports use.
NUMBER_COLUMN_NAMES = (*HISTORY_PHONE_NAMES, "e164", "phone_e164", "num", "ligne")

# The share of rows without a usable number a file may hold, in percent, unless
# the caller allows more: a registry read with the wrong region or column
# lists nothing and lets every listed number through.
MAX_UNUSABLE_PCT = 1.0

# Regions tried on a file's unusable numbers, to name the one that reads them
# (national numbers of the countries whose rules callscrub ships, and France's
# neighbours). +1 numbers read the same in the US and Canada: US comes first.
GUESSED_REGIONS = ("US", "CA", "GB", "IT", "ES", "FR", "BE", "CH", "DE", "LU", "NL", "PT", "MC")


def _pick_column(columns: list[str], forced: str | None, name: str) -> str:
    """The number column of file `name`: `forced` when given (it must exist),
    else the one header among NUMBER_COLUMN_NAMES (whole names, folded), else
    the first column. Two such headers (`Tél fixe;Tél portable`) raise
    io.headers.AmbiguousColumn: reading one would ignore half the list."""
    if forced:
        if forced in columns:
            return forced
        raise InputError(
            f"{name}: no column {forced!r} ({describe_columns(columns)})."
            " Fix the file's phone= setting (FILE::phone=NAME) or --registry-column."
        )
    found = recognised(columns, NUMBER_COLUMN_NAMES, path=name, use="phone number", key="phone")
    return found if found is not None else columns[0]


@dataclass(frozen=True)
class NumberTable:
    """A file of numbers read (or one member of a zip archive): its frame,
    number column, layout and the region its national numbers are read in."""

    frame: pl.DataFrame
    column: str | None
    sha256: str  # of the file's bytes (a member's, in an archive), when asked
    layout: str
    region: str
    name: str  # as messages show it: the path, or `archive.zip:member`


def read_numbers(
    source: str,
    rules: RuleSet,
    *,
    default_region: str,
    region: str | None = None,
    column: str | None = None,
    encoding: str | None = None,
    digest: bool = False,
    max_ratio: float = archives.MAX_RATIO,
    max_bytes: int = archives.MAX_BYTES,
    sheet: str | None = None,
) -> list[NumberTable]:
    """The numbers of file `source`: one table, or one per member of a zip archive.

    The layout is recognised from the content (io.layouts); the region of
    national numbers is, in order, `region` (the file's own setting), the
    layout's country (FTC/CRTC +1, TPS +44), then `default_region`."""
    if source != "-" and archives.is_archive(source):
        return [
            _numbers_of(
                _bytes_table(m.data, source, m.name, encoding, sheet),
                m.sha256,
                f"{source}:{m.name}",
                rules,
                default_region=default_region,
                region=region,
                column=column,
            )
            for m in archives.members(source, max_ratio=max_ratio, max_bytes=max_bytes)
        ]
    if source != "-" and _starts_xml(source):
        data = read_bytes(source)
        sha = hashlib.sha256(data).hexdigest() if digest else ""
        return [
            _numbers_of(
                (layouts.xml_numbers(data, source), "xml"),
                sha,
                source,
                rules,
                default_region=default_region,
                region=region,
                column=column,
            )
        ]
    table = read_table(source, encoding=encoding, header=False, digest=digest, sheet=sheet)
    return [
        _numbers_of(
            (table.frame, table.format),
            table.sha256,
            source,
            rules,
            default_region=default_region,
            region=region,
            column=column,
        )
    ]


def _starts_xml(source: str) -> bool:
    try:
        with open(source, "rb") as fh:
            return layouts.is_xml(fh.read(256))
    except OSError:
        return False  # read_table words the error


def _bytes_table(
    data: bytes, archive: str, member: str, encoding: str | None, sheet: str | None
) -> tuple[pl.DataFrame, str]:
    """(frame without header, format) of an archive member's bytes, read as a
    file outside the archive is (readers.frame_of_bytes: gzip, Parquet, a
    workbook, text with its encoding detected), or as CRTC XML. `encoding`
    applies to text members only and `sheet` to workbook members only, so a
    zip mixing a cp1252 list and a workbook reads both."""
    name = f"{archive}:{member}"
    if data.startswith(GZIP_MAGIC):
        data = _gunzip(data, name)
    if layouts.is_xml(data[:256]):
        return layouts.xml_numbers(data, name), "xml"
    try:
        frame, fmt, _, _, _ = frame_of_bytes(
            data, name, encoding=encoding, header=False, sheet=sheet
        )
    except InputError as exc:
        raise InputError(_archive_fix(str(exc), name, archive)) from None
    return frame, fmt


def _archive_fix(message: str, name: str, archive: str) -> str:
    """A member's reading error with its fix written for the archive: the
    settings a member takes are the archive's own (`archive.zip::encoding=`),
    which apply to its text members only; `member::encoding=` names no file."""
    setting = f"{archive}::encoding=NAME (it applies to the archive's text members)"
    return (
        message.replace(f"{name}::encoding=NAME", f"{archive}::encoding=NAME")
        .replace("pass --encoding cp1252.", f"give {setting}.")
        .replace("Check --encoding.", f"Check the archive's encoding: {setting}.")
        .replace(" or --encoding cp1252 for every input.", " or leave encoding= out to detect it.")
    )


def _numbers_of(
    read: tuple[pl.DataFrame, str],
    sha256: str,
    name: str,
    rules: RuleSet,
    *,
    default_region: str,
    region: str | None,
    column: str | None,
) -> NumberTable:
    """The number table of a frame read without a header (`read`: frame, format).

    Header or data? A first row whose number cell is a valid number, or looks
    like one (6+ digits: a malformed number is a bad row, counted), is data;
    headerless columns are named column_1, column_2... and their layout is
    recognised (io.layouts.headerless_layout)."""
    frame, fmt = read
    first_region = region or default_region
    if fmt == "xml":
        layout = layouts.XML
        return NumberTable(
            frame, "number", sha256, layout, region or layouts.LAYOUT_REGIONS[layout], name
        )
    if fmt not in ("csv", *WORKBOOK_FORMATS) or not frame.height:
        layout = layouts.PARQUET if fmt == "parquet" else layouts.ONE_PER_LINE
        col = _pick_column(frame.columns, column, name) if frame.width else None
        return NumberTable(frame, col, sha256, layout, first_region, name)
    first = frame.row(0)
    header_names = [str(v) if v is not None else f"column_{i + 1}" for i, v in enumerate(first)]
    probe_col = _pick_column(header_names, None, name) if column is None else None
    probe_idx = header_names.index(probe_col) if probe_col else 0
    probe = numbers.normalise(pl.Series([first[probe_idx]], dtype=pl.String), rules, first_region)
    cell = first[probe_idx] or ""
    # 6+ digits in the number cell or in any cell (`A,0612345678`: a change
    # flag first), or digits and no letter in the whole row (`212,7360000`):
    # no header is spelled so.
    looks_numeric = any(sum(ch.isdigit() for ch in v or "") >= 6 for v in (cell, *first)) or (
        any(ch.isdigit() for v in first if v for ch in v)
        and not any(ch.isalpha() for v in first if v for ch in v)
    )
    if column is not None or not (bool(probe[numbers.VALID][0]) or looks_numeric):
        if len(set(header_names)) != len(header_names):
            raise InputError(
                f"{name}: the header names a column twice. Rename it or remove the header."
            )
        frame = frame.slice(1).rename(dict(zip(frame.columns, header_names, strict=True)))
        col = _pick_column(frame.columns, column, name) if frame.width else None
        layout = layouts.WORKBOOK_HEADER if fmt in WORKBOOK_FORMATS else layouts.HEADER
        return NumberTable(frame, col, sha256, layout, first_region, name)
    frame = frame.rename({c: f"column_{i + 1}" for i, c in enumerate(frame.columns)})
    frame, col, layout = layouts.headerless_layout(frame, name)
    if layout == layouts.ONE_PER_LINE and region is None and layouts.looks_nanp(frame, col):
        # Older FTC downloads: 10 digits a line. Read as +1 only when the run's
        # region does not read them (10-digit Italian mobiles start with 3 too).
        sample = frame[col].head(layouts.SAMPLE_ROWS)
        readable = len(sample) - numbers.e164_keys(sample, rules, default_region).null_count()
        if readable * 2 < len(sample):
            layout = layouts.NANP_DIGITS
    found = region or layouts.LAYOUT_REGIONS.get(layout) or default_region
    return NumberTable(frame, col, sha256, layout, found, name)


def read_number_table(
    source: str,
    rules: RuleSet,
    *,
    default_region: str,
    column: str | None = None,
    encoding: str | None = None,
    digest: bool = False,
    region: str | None = None,
    sheet: str | None = None,
) -> tuple[pl.DataFrame, str | None, str]:
    """A list of numbers with or without a header, its number column and (when
    asked by `digest`) the SHA-256 of the file: read_numbers for a file that
    is not an archive (a screened file's numbers are read so)."""
    if source != "-" and archives.is_archive(source):
        # Screened returns (--screened, --registry FILE::kind=return) are read
        # unzipped: a return's statuses are read per file, not per member.
        raise InputError(
            f"{source}: a zip archive; a returned file is read unzipped: unzip it and give"
            " the file itself with --screened FILE."
        )
    (table,) = read_numbers(
        source,
        rules,
        default_region=default_region,
        region=region,
        column=column,
        encoding=encoding,
        digest=digest,
        sheet=sheet,
    )
    return table.frame, table.column, table.sha256


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
    run_region: str | None = None,
    own_region: bool = False,
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
        run_region=run_region,
        own_region=own_region,
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
    run_region: str | None = None,
    own_region: bool = False,
) -> None:
    """Raise UnusableNumbers when file `source` (read as `frame`, its numbers in
    `column`, their keys `keys`: null where unusable) gives no usable number,
    or more unusable rows than `max_unusable` percent of its rows. A file
    without rows passes only when `allow_empty` (a change list with no change).
    `max_unusable=None` checks nothing (the counts are the caller's to judge).
    `run_region`: the region the run reads other files in, tried first when
    guessing the file's (`own_region`: the file's region= setting chose
    `default_region`)."""
    if max_unusable is None:
        return
    rows, unusable = frame.height, int(keys.null_count())
    if _usable_enough(rows, unusable, max_unusable, allow_empty):
        return
    first: tuple[int, list[str | None]] | None = None
    sample = pl.Series([], dtype=pl.String)
    if rows and column is not None:
        raw = frame[column].cast(pl.String)
        bad = keys.is_null()
        nonempty = bad & raw.str.strip_chars().fill_null("").ne("")
        # The first unusable value that is not empty tells more than a blank cell.
        index = int((nonempty if nonempty.any() else bad).arg_max() or 0)
        first = (index, [None if v is None else str(v) for v in frame.row(index)])
        sample = raw.filter(nonempty).head(50)
    raise _unusable(
        source,
        column,
        frame.columns,
        rows,
        unusable,
        first,
        sample,
        rules,
        kind=kind,
        default_region=default_region,
        max_unusable=max_unusable,
        run_region=run_region,
        own_region=own_region,
    )


def _usable_enough(rows: int, unusable: int, max_unusable: float, allow_empty: bool) -> bool:
    """Whether a file of `rows` rows, `unusable` of them without a usable
    number, passes check_usable."""
    if rows == 0 and allow_empty:
        return True
    return bool(rows and unusable < rows and unusable * 100 <= max_unusable * rows)


def _unusable(
    source: str,
    column: str | None,
    columns: list[str],
    rows: int,
    unusable: int,
    first: tuple[int, list[str | None]] | None,
    sample: pl.Series,
    rules: RuleSet,
    *,
    kind: str,
    default_region: str,
    max_unusable: float,
    run_region: str | None,
    own_region: bool,
) -> UnusableNumbers:
    """check_usable's error: `first` is (0-based index, cells) of the first
    unusable row whose number is not empty (else of the first unusable row),
    `sample` the first 50 unusable values that are not empty."""
    first_row = shape = row_shape = None
    hint, region = "text", None
    if first is not None and column is not None:
        index, cells = first
        first_row = index + 1
        value = cells[columns.index(column)]
        shape = shape_of(value)
        row_shape = (
            ",".join(shape_of(v, 20) if v else "" for v in cells) if len(columns) > 1 else None
        )
        hint, region = _hint(value, cells, sample, rules, default_region, run_region)
    return UnusableNumbers(
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
        own_region=own_region,
        run_region=run_region,
    )


def _hint(
    value: str | None,
    cells: list[str | None],
    sample: pl.Series,
    rules: RuleSet,
    default_region: str,
    run_region: str | None = None,
) -> tuple[str, str | None]:
    """What the first unusable value suggests (UnusableNumbers.hint), and the
    region that reads most of `sample` (unusable values) when one reads 80 %.
    The run's region is tried first and wins a tie: 612345678 reads as a
    French and as a Spanish mobile, and in a French run it is French."""
    text = value or ""
    digits = sum(ch.isdigit() for ch in text)
    if digits < 6:
        row_digits = sum(ch.isdigit() for v in cells if v for ch in v)
        if not any(ch.isalpha() for ch in text) and row_digits >= 8:
            return "split", None
        return "text", None
    best, best_count = None, 0
    for region in dict.fromkeys((*((run_region,) if run_region else ()), *GUESSED_REGIONS)):
        if region == default_region or len(sample) == 0:
            continue
        count = len(sample) - numbers.e164_keys(sample, rules, region).null_count()
        if count > best_count:
            best, best_count = region, count
    return "region", best if best_count * 5 >= 4 * len(sample) and best_count else None


# Rows read and normalised at a time by streamed_numbers: polars' streaming
# reader holds a few blocks ahead; 1 M rows cost no more CPU than 2 M and held
# 0.1 GiB less beside the other inputs being read.
BLOCK_ROWS = 1_000_000


@dataclass(frozen=True)
class StreamedNumbers:
    """A file's numbers read block by block (streamed_numbers): its first
    block's NumberTable (the frame is that block's), and the file's figures."""

    table: NumberTable
    keys: pl.Series  # the distinct usable keys, in no order
    rows: int
    invalid_rows: int
    invalid_row_numbers: tuple[int, ...]  # the first 5 unusable rows, 1-based


def streamed_numbers(
    source: str,
    rules: RuleSet,
    *,
    default_region: str,
    region: str | None = None,
    column: str | None = None,
    encoding: str | None = None,
    digest: bool = False,
    kind: str,
    max_unusable: float | None,
    run_region: str | None = None,
    own_region: bool = False,
    refuse_return: bool = False,
) -> StreamedNumbers | None:
    """The keys and figures of file `source` read as read_numbers and
    usable_keys read it, but block by block (io.streams): a 50 M-line
    export's text is never held whole, only its distinct Int64 keys. None
    when the file is not a plain UTF-8 CSV file (an archive, XML, a workbook,
    an `encoding=`, quotes...) or its layout derives the number column (an
    area code and a number joined): read_numbers reads it whole.

    Rows, unusable rows, errors (UnusableNumbers with the same first row,
    shapes and hint; ReturnFile when `refuse_return`) are those of the whole
    read: what is recognised from the first rows is recognised from the first
    block, which holds at least layouts.SAMPLE_ROWS rows past a header."""
    if encoding or archives.is_archive(source) or _starts_xml(source):
        return None
    blocks = open_stream(source, header=False, digest=digest)
    if blocks is None:
        return None
    frames = blocks.batches(BLOCK_ROWS)
    try:
        first = next(frames, None)
        while first is not None and first.height <= layouts.SAMPLE_ROWS:
            more = next(frames, None)
            if more is None:
                break
            first = pl.concat([first, more])
        if first is None or not first.height:
            return None
        try:
            table = _numbers_of(
                (first, "csv"),
                "",
                source,
                rules,
                default_region=default_region,
                region=region,
                column=column,
            )
        except CallscrubError:
            # Read whole, the file's error (its header, layout or column) comes
            # after any parse error of its later lines, as it always did.
            return None
        if table.frame.width != first.width or table.column is None:
            return None
        # Raised once every block has parsed, as it is after the whole file is read.
        returned = None
        if refuse_return:
            try:
                _refuse_return(table)
            except ReturnFile as exc:
                returned = exc
        names = table.frame.columns
        parts: list[pl.Series] = []
        rows = invalid = 0
        bad_rows: list[int] = []
        first_bad: tuple[int, list[str | None]] | None = None
        first_nonempty: tuple[int, list[str | None]] | None = None
        samples: list[pl.Series] = []
        sampled = 0
        frame: pl.DataFrame | None = table.frame
        while frame is not None:
            raw = frame[table.column].cast(pl.String)
            keys = numbers.e164_keys(raw, rules, table.region)
            nulls = int(keys.null_count())
            if nulls:
                bad = keys.is_null()
                if len(bad_rows) < 5:
                    found = bad.arg_true().head(5 - len(bad_rows))
                    bad_rows += [rows + 1 + int(i) for i in found]
                if first_bad is None:
                    index = int(bad.arg_max() or 0)
                    first_bad = (rows + index, _cells(frame, index))
                if first_nonempty is None or sampled < 50:
                    nonempty = bad & raw.str.strip_chars().fill_null("").ne("")
                    if nonempty.any():
                        if first_nonempty is None:
                            index = int(nonempty.arg_max() or 0)
                            first_nonempty = (rows + index, _cells(frame, index))
                        samples.append(raw.filter(nonempty).head(50 - sampled))
                        sampled += len(samples[-1])
            parts.append(keys.drop_nulls())
            rows += frame.height
            invalid += nulls
            block = next(frames, None)
            # Named as the first block's columns were (a header's names, or column_N).
            frame = (
                None
                if block is None
                else block.rename(dict(zip(block.columns, names, strict=True)))
            )
    except StreamRefused:
        return None
    if returned is not None:
        raise returned
    if max_unusable is not None and not _usable_enough(rows, invalid, max_unusable, False):
        raise _unusable(
            source,
            table.column,
            names,
            rows,
            invalid,
            first_nonempty or first_bad,
            pl.concat(samples) if samples else pl.Series([], dtype=pl.String),
            rules,
            kind=kind,
            default_region=table.region,
            max_unusable=max_unusable,
            run_region=run_region,
            own_region=own_region,
        )
    keys = pl.concat(parts) if parts else pl.Series("key", [], pl.Int64)
    parts.clear()  # before the hashing: only the keys and their distinct values held
    keys = keys.unique()
    blocks.table(pl.DataFrame())  # how it was read, for the summary (reading_of)
    return StreamedNumbers(
        dataclasses.replace(table, sha256=blocks.sha256),
        keys,
        rows,
        invalid,
        tuple(bad_rows[:5]),
    )


def _cells(frame: pl.DataFrame, index: int) -> list[str | None]:
    return [None if v is None else str(v) for v in frame.row(index)]


def load_registry(
    source: str,
    rules: RuleSet,
    *,
    default_region: str,
    region: str | None = None,
    column: str | None = None,
    encoding: str | None = None,
    max_unusable: float | None = MAX_UNUSABLE_PCT,
    kind: str = OPPOSITION,
    max_ratio: float = archives.MAX_RATIO,
    max_bytes: int = archives.MAX_BYTES,
    sheet: str | None = None,
) -> Registry:
    """The registry in file `source` (any format `read_table` reads, any layout
    io.layouts recognises, or a zip archive of them), its numbers normalised
    to distinct sorted E.164 keys held in memory. National numbers are read in
    `region` (the file's own setting), else the layout's country, else
    `default_region`. Rows whose number cannot be normalised are counted; a
    file (an archive member) without any usable number, or with more than
    `max_unusable` percent of its rows unusable, raises UnusableNumbers
    (`None`: only count them). A file with a status column (a screened return,
    an allow-list) raises ReturnFile: read as a block-list it would reject
    every number it lets through. `kind` is recorded (core.checks.registry:
    opposition or suppress)."""
    default_region = default_region.upper()
    region = region.upper() if region else None
    streamed = streamed_numbers(
        source,
        rules,
        default_region=default_region,
        region=region,
        column=column,
        encoding=encoding,
        kind="registry",
        max_unusable=max_unusable,
        run_region=default_region,
        own_region=region is not None,
        refuse_return=True,
    )
    if streamed is not None:
        table = streamed.table
        return Registry(
            name=Path(source).name,
            path=source,
            keys=streamed.keys.sort().rename("key"),
            rows=streamed.rows,
            invalid_rows=streamed.invalid_rows,
            invalid_row_numbers=streamed.invalid_row_numbers,
            kind=kind,
            region=table.region,
            layout=table.layout,
            members=(),
            column=table.column,
        )
    parts = read_numbers(
        source,
        rules,
        default_region=default_region,
        region=region,
        column=column,
        encoding=encoding,
        max_ratio=max_ratio,
        max_bytes=max_bytes,
        sheet=sheet,
    )
    name = Path(source).name
    all_keys: list[pl.Series] = []
    rows = invalid = 0
    bad_rows: list[int] = []
    members: list[tuple[str, str, int]] = []
    for part in parts:
        _refuse_return(part)
        keys = usable_keys(
            part.name,
            part.frame,
            part.column,
            rules,
            kind="registry",
            default_region=part.region,
            max_unusable=max_unusable,
            run_region=default_region,
            own_region=region is not None,
        )
        bad = keys.to_frame().with_row_index("row", offset=rows + 1)
        bad_rows += bad.filter(pl.col(bad.columns[-1]).is_null())["row"].head(5).to_list()
        all_keys.append(keys.drop_nulls())
        rows += part.frame.height
        invalid += int(keys.null_count())
        if part.name != source:
            members.append((part.name[len(source) + 1 :], part.sha256, part.frame.height))
    keys = (
        pl.concat(all_keys).unique().sort().rename("key")
        if all_keys
        else pl.Series("key", [], pl.Int64)
    )
    regions = sorted({p.region for p in parts})
    return Registry(
        name=name,
        path=source,
        keys=keys,
        rows=rows,
        invalid_rows=invalid,
        invalid_row_numbers=tuple(bad_rows[:5]),
        kind=kind,
        region=",".join(regions),
        layout="; ".join(dict.fromkeys(p.layout for p in parts)),
        members=tuple(members),
        column="; ".join(dict.fromkeys(p.column for p in parts if p.column)) or None,
    )


# The largest step between consecutive keys held in two bytes (compact); the
# few larger steps (from one number range or country to the next) are kept apart.
STEP_MAX = (1 << 16) - 1


@dataclass(frozen=True)
class _PackedKeys:
    """A batch of sorted distinct keys as the steps between consecutive keys:
    UInt16 (larger steps clipped), and exact where they are larger or first
    (the first key itself), so that the keys are the sum of the steps so far."""

    steps: pl.Series  # UInt16
    exact_at: pl.Series  # UInt32 positions of the first key and of the larger steps
    exact: pl.Series  # Int64, their values

    @staticmethod
    def of(keys: pl.Series) -> _PackedKeys:
        steps = keys.diff().fill_null(keys[0])
        exact_at = ((steps > STEP_MAX) | (pl.int_range(len(steps), eager=True) == 0)).arg_true()
        return _PackedKeys(
            steps.clip(0, STEP_MAX).cast(pl.UInt16), exact_at, steps.gather(exact_at)
        )

    def keys(self) -> pl.Series:
        steps = self.steps.cast(pl.Int64).scatter(self.exact_at, self.exact)
        return steps.cum_sum().rename("key").set_sorted()


def compact(registry: Registry) -> Registry:
    """The registry with its keys in memory held as a key source of packed
    batches (KEY_BATCH keys each, 2 bytes a key where 8 were, unpacked a batch
    at a time when looked up): a 50 M-number export's keys take 0.1 GiB
    instead of 0.4 through the scrub. Its figures (`numbers`) are unchanged."""
    keys = registry.keys
    if registry.key_source is not None or len(keys) == 0:
        return registry
    packed = [_PackedKeys.of(keys.slice(s, KEY_BATCH)) for s in range(0, len(keys), KEY_BATCH)]

    def batches() -> Iterator[pl.Series]:
        for batch in packed:
            yield batch.keys()

    return dataclasses.replace(registry, keys=keys.clear(), key_source=batches, key_count=len(keys))


class ReturnFile(InputError):
    """A screened return (an allow-list, with a status column) given as a block-list."""

    def __init__(self, path: str, column: str) -> None:
        super().__init__(path)
        self.path, self.column = path, column


def _refuse_return(part: NumberTable) -> None:
    """Raise ReturnFile when a column besides the numbers holds screening
    statuses (Bloctel's `number;id;OK|KO`): such a file lists the numbers the
    professional may call; read as a block-list it would reject them all."""
    from callscrub.io.consent_files import (  # consent_files imports this module
        CALLABLE_STATUSES,
        NOT_CALLABLE_STATUSES,
        fold_status,
    )

    callable_words = {fold_status(w) for w in CALLABLE_STATUSES}
    known = callable_words | {fold_status(w) for w in NOT_CALLABLE_STATUSES}
    for c in part.frame.columns:
        if c == part.column or part.frame[c].dtype != pl.String:
            continue
        values = part.frame[c].head(layouts.SAMPLE_ROWS).drop_nulls().str.strip_chars()
        folded = {fold_status(v) for v in values.filter(values != "").unique().to_list()}
        # A callable word among them: a reason column of a company list ("dnc") is no return.
        if folded and folded <= known and folded & callable_words:
            raise ReturnFile(part.name, c)
