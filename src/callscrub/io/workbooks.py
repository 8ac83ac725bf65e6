"""Excel workbooks as inputs (.xlsx, .xls, .ods) and outputs (.xlsx).

Read with calamine through fastexcel (the engine polars' read_excel uses),
never by hand; written with xlsxwriter (polars' write_excel's). A workbook is
read into the shape a CSV file gives: every column text, the first row the
header (or data, for files without one), empty cells null.

What a cell becomes:
- text as it is; a number as the number it stands for (612345678.0, a
  national number whose leading zero Excel dropped, is `612345678`, never
  `6.12345678E8`), so the number normaliser reads it as it would read the text;
- a date cell as its wall time in ISO 8601 without offset
  (`2026-12-03 14:30:00`): a spreadsheet stores no zone, so the scrub reads it
  in the campaign's zone, as it reads such text in a CSV;
- a formula as the value the spreadsheet saved with it (calamine never
  evaluates formulas; one saved without a value, or an error value, is an
  empty cell). External links and macros are never opened or run.

Hostile workbooks: an .xlsx or .ods is a zip archive, and its members are
checked from the archive's directory before calamine reads them
(check_archive: a member expanding past MAX_MEMBER_BYTES or MAX_RATIO times
its compressed size, or all of them past MAX_WORKBOOK_BYTES, is refused): the
uncompressed sheet bounds what calamine holds. A sheet over Excel's own
limits (1,048,576 rows, 16,384 columns) or MAX_SHEET_CELLS cells is refused
before it is turned into a frame.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

import polars as pl

from callscrub.errors import InputError, OutputError

ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ODS_MIMETYPE = b"application/vnd.oasis.opendocument.spreadsheet"
WORKBOOK_FORMATS = ("xlsx", "xls", "ods")

# Limits on what a workbook may expand to before calamine reads it. A real
# export's sheet compresses 5 to 20 times (shared strings, repeated tags); a
# decompression bomb, hundreds to thousands of times. Members under
# RATIO_FLOOR bytes are not held to the ratio (a few repeated tags compress
# far, and cost nothing).
MAX_MEMBER_BYTES = 1 << 30  # 1 GiB uncompressed: above a full 1,048,576-row sheet of 20 columns
MAX_WORKBOOK_BYTES = 2 << 30  # 2 GiB for all members together
MAX_RATIO = 100
RATIO_FLOOR = 1 << 20
MAX_MEMBERS = 10_000
# Excel's own sheet limits, and a bound on cells (a frame of 50 M text cells
# is several GiB).
SHEET_ROWS = 1_048_576
SHEET_COLUMNS = 16_384
CELL_CHARS = 32_767  # the most characters a cell holds
MAX_SHEET_CELLS = 50_000_000


def workbook_kind(data: bytes) -> str | None:
    """ "xlsx", "xls" or "ods" when the bytes are such a workbook, else None.
    From the bytes, not the name: an OLE compound file is an .xls; a zip
    archive with members under `xl/` an .xlsx; one whose `mimetype` member
    says so an .ods. Any other zip archive is not a workbook."""
    if data.startswith(OLE_MAGIC):
        return "xls"
    if not data.startswith(ZIP_MAGIC):
        return None
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
            if any(m.filename.startswith("xl/") for m in members):
                return "xlsx"
            mimetype = next((m for m in members if m.filename == "mimetype"), None)
            if mimetype is not None and mimetype.file_size <= 100:
                if archive.read(mimetype).strip() == ODS_MIMETYPE:
                    return "ods"
    except (zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError, ValueError):
        return None
    return None


def check_archive(data: bytes, name: str) -> None:
    """Refuse a zip-based workbook whose members would expand past the
    limits, from the archive's directory: before anything is decompressed.
    The sizes checked are those the directory declares; a member's real
    output is also bounded by its compressed bytes, which are in the file."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        raise InputError(
            f"{name}: the workbook's zip directory cannot be read. Save the workbook again."
        ) from None
    if len(members) > MAX_MEMBERS:
        raise InputError(
            f"{name}: the workbook holds {len(members):,} parts, over {MAX_MEMBERS:,}:"
            " not a spreadsheet export. Save the sheet as CSV."
        )
    total = 0
    for m in members:
        total += m.file_size
        ratio = m.file_size / max(m.compress_size, 1)
        if (
            m.file_size > MAX_MEMBER_BYTES
            or (m.file_size > RATIO_FLOOR and ratio > MAX_RATIO)
            or total > MAX_WORKBOOK_BYTES
        ):
            raise InputError(
                f"{name}: a part of the workbook expands to {m.file_size:,} bytes"
                f" ({ratio:,.0f} times its compressed size; the limits are"
                f" {MAX_MEMBER_BYTES >> 20:,} MiB per part, {MAX_WORKBOOK_BYTES >> 20:,} MiB"
                f" in all and {MAX_RATIO} times): refused as a decompression bomb."
                " If it is a real export, save the sheet as CSV."
            )


def workbook_frame(
    data: bytes, name: str, kind: str, *, sheet: str | None, header: bool
) -> tuple[pl.DataFrame, str]:
    """The frame of one sheet (`sheet`, else the first) of a workbook, every
    column text as a CSV file's, and the sheet's name. `header`: the first
    row names the columns (an empty name is `column_N`); without it the
    columns are column_1, column_2... InputError naming the file and the fix."""
    import fastexcel  # imported here: only runs reading a workbook pay for it

    if kind != "xls":
        check_archive(data, name)
    try:
        reader = fastexcel.read_excel(data)
        names = list(reader.sheet_names)
    except Exception as exc:  # noqa: BLE001 - calamine's errors have many classes
        raise InputError(
            f"{name}: not a readable {kind} workbook ({_first_words(exc)}). If it is"
            " password-protected, save it without a password, or save the sheet as CSV."
        ) from None
    if not names:
        raise InputError(f"{name}: the workbook has no sheet. Export the list again.")
    if sheet is None:
        chosen = names[0]
    elif sheet in names:
        chosen = sheet
    else:
        raise InputError(
            f"{name}: no sheet {sheet!r}; the workbook has {_listed(names)}."
            f" Give one with --sheet NAME or {name}::sheet=NAME."
        )
    try:
        loaded = reader.load_sheet(chosen, header_row=None, dtypes="string")
    except Exception as exc:  # noqa: BLE001
        raise InputError(
            f"{name}: sheet {chosen!r} cannot be read ({_first_words(exc)}). Save it as CSV."
        ) from None
    rows, width = loaded.total_height, loaded.width
    if rows > SHEET_ROWS or width > SHEET_COLUMNS or rows * width > MAX_SHEET_CELLS:
        raise InputError(
            f"{name}: sheet {chosen!r} holds {rows:,} rows of {width:,} columns, over the"
            f" limit ({SHEET_ROWS:,} rows, {SHEET_COLUMNS:,} columns, {MAX_SHEET_CELLS:,}"
            " cells). Export the list as CSV or Parquet."
        )
    raw = loaded.to_polars()
    if raw.width == 0 or raw.height == 0:
        raise InputError(f"{name}: sheet {chosen!r} is empty. Export the list again.")
    frame = raw.select(pl.all().cast(pl.String))
    if not header:
        return frame.rename({c: f"column_{i}" for i, c in enumerate(frame.columns, start=1)}), (
            chosen
        )
    first = frame.row(0)
    columns = [
        v if v is not None and v.strip() else f"column_{i}" for i, v in enumerate(first, start=1)
    ]
    seen: set[str] = set()
    for c in columns:
        if c in seen:
            raise InputError(
                f"{name}: the header of sheet {chosen!r} names column {c!r} twice."
                " Rename one of them."
            )
        seen.add(c)
    return frame.slice(1).rename(dict(zip(frame.columns, columns, strict=True))), chosen


def _listed(names: list[str]) -> str:
    shown = ", ".join(repr(n) for n in names[:10])
    return f"sheets {shown}" + (f" and {len(names) - 10} more" if len(names) > 10 else "")


def _first_words(exc: Exception) -> str:
    """The kind of an engine error, cut before any cell value it may quote."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text.split(":")[0].split("`")[0].split('"')[0][:80].strip() or type(exc).__name__


# --------------------------------------------------------------------------- outputs


FIXED_CREATED = datetime(2000, 1, 1, tzinfo=UTC)


def check_sheet_rows(target: str, rows: int) -> None:
    """Refuse an .xlsx output of `rows` data rows that a sheet cannot hold
    (1,048,576 rows, the header included), before anything is written."""
    if rows + 1 > SHEET_ROWS:
        raise OutputError(
            f"{target}: {rows:,} rows do not fit in a spreadsheet, whose sheets hold"
            f" {SHEET_ROWS - 1:,} rows under the header. Write it as .csv or .parquet."
        )


def check_cells(target: str, parts: Iterable[pl.DataFrame]) -> None:
    """Refuse an .xlsx output holding a text longer than a cell holds
    (32,767 characters), naming its column and data row: xlsxwriter would
    cut it, losing data without a word."""
    offset = 0
    for part in parts:
        texts = part.select(pl.all().cast(pl.String))
        if texts.height:
            longest = texts.select(pl.all().str.len_chars().max()).row(0)
            for column, length in zip(texts.columns, longest, strict=True):
                if length is not None and length > CELL_CHARS:
                    row = texts[column].str.len_chars().arg_max() or 0
                    raise OutputError(
                        f"{target}: column {column!r}, data row {offset + row + 1:,}, holds"
                        f" {length:,} characters; a spreadsheet cell holds {CELL_CHARS:,}."
                        " Write it as .csv or .parquet."
                    )
        offset += part.height


def write_xlsx(frame: pl.DataFrame, dest: Any, target: str = "the output") -> None:
    """`frame` as an .xlsx workbook (one sheet): every column as text, the
    header row frozen. Cells are written as strings, never as formulas or
    numbers: a cell starting with = + - @ is shown as text, a phone number
    keeps its leading zero or its +. A cell longer than a spreadsheet holds is an
    OutputError naming `target`, before the workbook is begun."""
    import xlsxwriter

    texts = frame.select(pl.all().cast(pl.String))
    check_cells(target, [texts])  # xlsxwriter would cut a longer text without a word
    options = {
        "strings_to_formulas": False,
        "strings_to_numbers": False,
        "strings_to_urls": False,
        # Held in memory, never in temporary files of xlsxwriter's own
        # (personal data left in /tmp after a kill); a workbook output is for
        # a list a person reads, not for millions of rows.
        "in_memory": True,
    }
    workbook = xlsxwriter.Workbook(dest, options)
    # A fixed creation date: outputs hold no wall-clock value, so a replay
    # (callscrub verify) gives the same bytes.
    workbook.set_properties({"created": FIXED_CREATED})
    try:
        sheet = workbook.add_worksheet("callscrub")
        text = workbook.add_format({"num_format": "@"})  # the "Text" cell format
        bold = workbook.add_format({"bold": True, "num_format": "@"})
        sheet.freeze_panes(1, 0)
        for col, column in enumerate(texts.columns):
            sheet.set_column(col, col, max(10, min(40, len(column) + 2)), text)
            sheet.write_string(0, col, column, bold)
        for r, values in enumerate(texts.iter_rows(), start=1):
            for col, value in enumerate(values):
                if value is not None:
                    sheet.write_string(r, col, value)
    finally:
        workbook.close()
